// Chaos on the netns compute driver (root): a real `fulcrum serve` with a namespace per amphora
// on the test's own bridge, members in namespaces of their own, signed heartbeats and automatic
// failover on; two SINGLE load balancers and two ACTIVE_STANDBY pairs (keepalived), a prober on
// every VIP, and seeded rounds each killing at random one amphora's HAProxy or keepalived, the
// agent, or deleting one amphora's namespace, without waiting for recovery in between.
// Afterwards every load balancer is ACTIVE and serves with its whole set of amphorae (a pair has
// a MASTER and a BACKUP), one agent runs, each amphora runs its daemons once, every VIP is held
// by exactly one amphora, and no process, run directory, namespace or veth of a replaced amphora
// is left (test/helpers/chaos-scenario.ts). Replay a run with
//   FULCRUM_TEST_SEED=<seed> node --import tsx --test test/e2e/netns-chaos.test.ts
import { describeChaos } from '../helpers/chaos-scenario.ts';

const TOPOLOGIES = ['SINGLE', 'ACTIVE_STANDBY', 'SINGLE', 'ACTIVE_STANDBY'] as const;

describeChaos('chaos on the netns compute driver: random data-plane failures under probing', 'netns-chaos', { driver: 'netns', topologies: [...TOPOLOGIES] }, 8);
