// VIP security groups (`vip_sg_ids`, API v2.29, docs/octavia-compatibility.md §5.1). Fulcrum's network service has
// no security groups, so no id can name one: every id is refused as Octavia refuses a security
// group Neutron does not know, and the only set a load balancer can hold is the empty one.
import { InvalidInput } from '../errors.ts';

/** The VIP security groups a load balancer gets for a requested `vip_sg_ids` (null means none). */
export function vipSecurityGroups(requested: readonly string[] | null | undefined): string[] {
  const [unknown] = requested ?? [];
  if (unknown !== undefined) throw new InvalidInput(`Security Group ${unknown} not found.`);
  return [];
}
