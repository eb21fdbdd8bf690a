// Which amphora topologies a compute driver can place. ACTIVE_STANDBY needs the two amphorae of
// a pair on one L2 segment, where VRRP adverts pass between them and a gratuitous ARP moves the
// VIP: the process driver's amphorae share loopback addresses instead, so it has none.
export const TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY'] as const;

const WITHOUT_L2_SEGMENT = new Set(['process']);

export function placeableTopologies(computeDriver: string): string[] {
  return WITHOUT_L2_SEGMENT.has(computeDriver) ? ['SINGLE'] : [...TOPOLOGIES];
}

/** Why `topology` cannot be placed by `computeDriver`, or null. */
export function topologyRefusal(computeDriver: string, topology: string): string | null {
  if (placeableTopologies(computeDriver).includes(topology)) return null;
  if (topology === 'ACTIVE_STANDBY') {
    return `loadbalancer_topology ACTIVE_STANDBY is not available with the ${computeDriver} compute driver, whose amphorae share no L2 segment for VRRP; the netns compute driver (FULCRUM_COMPUTE_DRIVER=netns) places ACTIVE_STANDBY pairs.`;
  }
  return `loadbalancer_topology ${topology} is not available: the ${computeDriver} compute driver places ${placeableTopologies(computeDriver).join(', ')} amphorae only.`;
}
