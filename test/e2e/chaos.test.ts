// Chaos on the local data plane: a real `fulcrum serve` (process compute driver, real HAProxy on
// loopback VIPs, signed heartbeats and automatic failover on) with three load balancers, a prober
// on every VIP, and a few rounds each killing at random one amphora's HAProxy (master and
// workers, kill -9), the agent, or the agent and every HAProxy, without waiting for the install
// to recover in between (a round waits only until what it kills runs again). Afterwards every
// load balancer is ACTIVE and serves, each has exactly one ALLOCATED amphora, one agent runs,
// every amphora has one HAProxy master, and no process or run directory of a replaced amphora is
// left (test/helpers/chaos-scenario.ts). The rounds are seeded: the seed is reported, and
//   FULCRUM_TEST_SEED=<seed> node --import tsx --test test/e2e/chaos.test.ts
// replays them.
import { describeChaos } from '../helpers/chaos-scenario.ts';

describeChaos('chaos: random data-plane failures under probing', 'chaos', { topologies: ['SINGLE', 'SINGLE', 'SINGLE'] }, 6);
