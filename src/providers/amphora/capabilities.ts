// The flavor and availability-zone metadata the amphora provider understands (docs/octavia-compatibility.md §5.10).
import { checks, type MetadataKey } from '../metadata.ts';
import { protectionProblem } from '../../model/protection.ts';

export const TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const;

export const AMPHORA_FLAVOR_KEYS: MetadataKey[] = [
  {
    name: 'loadbalancer_topology',
    description: 'The load balancer topology. One of: SINGLE - One amphora per load balancer. ACTIVE_STANDBY - Two amphorae per load balancer.',
    check: checks.oneOf(TOPOLOGIES),
  },
  { name: 'compute_flavor', description: 'The compute driver flavor ID.', check: checks.text },
  { name: 'amp_image_tag', description: 'The amphora image tag.', check: checks.text },
  { name: 'sriov_vip', description: 'When true, the VIP port will be created using an SR-IOV VF port.', check: checks.bool },
  { name: 'allow_member_sriov', description: 'When true, users can request SR-IOV VF ports for members.', check: checks.bool },
  {
    name: 'protection',
    description:
      'Per-source protection defaults for the listeners of load balancers of this flavor: an object of requests_per_second_per_source, burst, concurrent_connections_per_source, new_connections_per_second_per_source and action (reject, tarpit, deny_429).',
    check: protectionProblem,
  },
];

export const AMPHORA_AVAILABILITY_ZONE_KEYS: MetadataKey[] = [
  { name: 'compute_zone', description: 'The compute availability zone.', check: checks.text },
  { name: 'volume_zone', description: 'The volume availability zone.', check: checks.text },
  { name: 'management_network', description: 'The management network ID for the amphora.', check: checks.uuid },
  {
    name: 'valid_vip_networks',
    description: 'List of network IDs that are allowed for VIP use. This overrides/replaces the list of allowed networks configured for the deployment.',
    check: checks.uuidList,
  },
];
