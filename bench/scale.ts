// Scale of the embedded default: a real `fulcrum serve` (PGlite, process compute driver, one
// agent, real HAProxy per amphora, heartbeats with their default interval) with BENCH_SCALE_LBS
// load balancers created through the API, each with an HTTP listener, a round-robin pool and two
// members (two small HTTP servers of this process on loopback, shared by every pool). Then:
//   - every VIP answers with a member (all serving);
//   - idle CPU over BENCH_SCALE_IDLE_S seconds, no traffic, no API calls: serve, the agent and
//     every HAProxy process (masters and workers), as a share of one core; the target is < 25% of
//     one core together. Two counts: the scheduler's runtime (schedstat, exact) and utime + stime
//     (clock-tick samples, which overcharge processes that wake briefly in step with the tick:
//     idle HAProxy workers, see runtimeMs);
//   - GET show of a random load balancer, one request at a time (BENCH_SCALE_SHOWS of them):
//     p50 / p99 (target p99 < 50 ms);
//   - member down → its operating_status in the API: one more load balancer whose pool has an
//     HTTP health monitor (delay 1 s, one failed check marks a member down) and members of its
//     own; one of those servers is stopped and the time is taken until HAProxy has the server
//     DOWN (its stats socket, polled every 10 ms) and until the API says ERROR (polled every
//     20 ms). Target: < 2 s from HAProxy's verdict to the API. BENCH_SCALE_STATUS_RUNS runs.
// Creation stops early, and says so, when the host's available memory falls under 1.5 GB
// (HAProxy master + worker take about 17 MB per amphora).
//
//   node --import tsx bench/scale.ts
//   BENCH_SCALE_LBS=500 BENCH_SCALE_IDLE_S=30 BENCH_SCALE_CONCURRENCY=8 BENCH_SCALE_SHOWS=1000 BENCH_SCALE_STATUS_RUNS=5
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { freemem } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, percentile, stats, table } from './lib.ts';
import { childPids, cpuMs, loadNote, readPid, register, runtimeMs, startDataplaneServe, waitLbActive, type DataplaneServe } from './dataplane-lib.ts';
import { httpGet } from '../test/helpers/netns.ts';

const LBS = intFromEnv('BENCH_SCALE_LBS', 500);
const IDLE_S = intFromEnv('BENCH_SCALE_IDLE_S', 30);
const CONCURRENCY = intFromEnv('BENCH_SCALE_CONCURRENCY', 8);
const SHOWS = intFromEnv('BENCH_SCALE_SHOWS', 1000);
const STATUS_RUNS = intFromEnv('BENCH_SCALE_STATUS_RUNS', 5);
const MIN_FREE_BYTES = 1.5 * 1024 ** 3;
const LISTENER_PORT = 8080;

interface Member {
  server: Server;
  port: number;
  name: string;
}

async function startMember(name: string, port = 0): Promise<Member> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const stop = register({ sync: () => server.close(), graceful: () => new Promise((resolve) => server.close(() => resolve())) });
  server.once('close', () => void stop());
  return { server, port: (server.address() as { port: number }).port, name };
}

function closeMember(m: Member): Promise<void> {
  return new Promise((resolve) => {
    m.server.close(() => resolve());
    m.server.closeAllConnections();
  });
}

/** A tree in one call: LB, listener, pool (with a health monitor when asked) and members. */
async function createLb(serve: DataplaneServe, subnetId: string, name: string, members: Member[], monitor: boolean): Promise<{ id: string; url: string }> {
  const body = await serve.client.expect(201, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name,
      vip_subnet_id: subnetId,
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: LISTENER_PORT,
          default_pool: {
            name: `${name}-pool`,
            protocol: 'HTTP',
            lb_algorithm: 'ROUND_ROBIN',
            members: members.map((m) => ({ address: '127.0.0.1', protocol_port: m.port })),
            ...(monitor ? { healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/' } } : {}),
          },
        },
      ],
    },
  });
  await waitLbActive(serve.client, body.loadbalancer.id, 300_000);
  return { id: body.loadbalancer.id, url: `http://${body.loadbalancer.vip_address}:${LISTENER_PORT}/` };
}

/** serve, the agent, and every HAProxy master with its workers. */
function fulcrumPids(serve: DataplaneServe): { serve: number[]; agent: number[]; haproxy: number[] } {
  const haproxy: number[] = [];
  for (const dir of serve.runDirs()) {
    const master = readPid(join(dir, 'haproxy.pid'));
    if (master) haproxy.push(master, ...childPids(master));
  }
  const agent = serve.agentPid();
  return { serve: [serve.servePid], agent: agent ? [agent] : [], haproxy };
}

/** Both CPU counts of every process: clock ticks and the scheduler's runtime, in ms. */
function cpuOf(pids: number[]): Map<number, { ticks: number; runtime: number }> {
  return new Map(pids.map((pid) => [pid, { ticks: cpuMs(pid), runtime: runtimeMs(pid) }]));
}

/** CPU ms of a group between two readings; a process missing at either end counts as 0. */
function spent(before: ReturnType<typeof cpuOf>, after: ReturnType<typeof cpuOf>, count: 'ticks' | 'runtime'): number {
  let ms = 0;
  for (const [pid, end] of after) {
    const start = before.get(pid)?.[count];
    if (start !== undefined && Number.isFinite(start) && Number.isFinite(end[count])) ms += end[count] - start;
  }
  return ms;
}

/** The server's status in HAProxy's stats (`show stat` on the amphora's admin socket). */
function haproxyServerStatus(socket: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const conn = connect(socket);
    let out = '';
    conn.setTimeout(1000, () => conn.destroy());
    conn.on('data', (chunk) => (out += chunk.toString()));
    conn.on('error', () => resolve(null));
    conn.on('close', () => {
      const header = out.split('\n')[0]?.replace(/^# /, '').split(',') ?? [];
      const status = header.indexOf('status');
      const addr = header.indexOf('addr');
      const row = out.split('\n').find((l) => l.split(',')[addr] === `127.0.0.1:${port}`);
      resolve(row ? row.split(',')[status] : null);
    });
    conn.write('show stat\n');
  });
}

async function main(): Promise<void> {
  console.log(`scale: ${LBS} load balancers (listener, pool, two members each), ${CONCURRENCY} creates in flight; ${loadNote()}`);
  const members = [await startMember('m0'), await startMember('m1')];
  const serve = await startDataplaneServe(CONCURRENCY + 2, { FULCRUM_AGENT_LOG_LEVEL: 'warn' });
  try {
    // A /20 of our own: a /24 holds fewer VIPs than a run may need.
    const network = await serve.client.expect(201, 'POST', '/v2/fulcrum/networks', { network: { name: 'bench-scale' } });
    const cidr = `127.${randomInt(201, 251)}.${randomInt(0, 16) * 16}.0/20`;
    const subnet = await serve.client.expect(201, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.network.id, cidr } });
    const subnetId = subnet.subnet.id as string;

    const lbs: { id: string; url: string }[] = [];
    const createMs: number[] = [];
    let next = 0;
    let stoppedFor: string | null = null;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < LBS && stoppedFor === null) {
          if (freemem() < MIN_FREE_BYTES) {
            stoppedFor = `available memory fell under ${fmt(MIN_FREE_BYTES / 1024 ** 3)} GB`;
            break;
          }
          const i = next++;
          const t = performance.now();
          lbs.push(await createLb(serve, subnetId, `scale-${i}`, members, false));
          createMs.push(performance.now() - t);
          if (lbs.length % 50 === 0) console.log(`  ${lbs.length} ACTIVE after ${fmt((Date.now() - started) / 1000)} s (free memory ${fmt(freemem() / 1024 ** 3)} GB)`);
        }
      }),
    );
    const creating = stats(createMs);
    console.log(`created ${lbs.length} load balancers in ${fmt((Date.now() - started) / 1000)} s (create → ACTIVE median ${fmt(creating.median)} ms, p90 ${fmt(creating.p90)} ms)${stoppedFor ? `; stopped early: ${stoppedFor}` : ''}`);

    // All serving: one request through every VIP.
    let serving = 0;
    for (const lb of lbs) {
      const res = await httpGet(lb.url, 2000).catch(() => null);
      if (res?.status === 200 && members.some((m) => m.name === res.body)) serving++;
    }
    console.log(`serving: ${serving} of ${lbs.length} VIPs answered with a member`);

    // The status probe's own load balancer, before the idle window so its creation is not in it.
    const probeMembers = [await startMember('probe-up'), await startMember('probe-down')];
    const probe = await createLb(serve, subnetId, 'scale-status-probe', probeMembers, true);

    // Idle: let heartbeats and statuses settle, then measure.
    await sleep(5000);
    const pids = fulcrumPids(serve);
    const before = { serve: cpuOf(pids.serve), agent: cpuOf(pids.agent), haproxy: cpuOf(pids.haproxy) };
    const t0 = performance.now();
    await sleep(IDLE_S * 1000);
    const wall = performance.now() - t0;
    const after = { serve: cpuOf(pids.serve), agent: cpuOf(pids.agent), haproxy: cpuOf(pids.haproxy) };
    const share = (ms: number) => fmt((100 * ms) / wall);
    const row = (label: string, group: keyof typeof pids) => [
      label,
      share(spent(before[group], after[group], 'runtime')),
      share(spent(before[group], after[group], 'ticks')),
      String(pids[group].length),
    ];
    const total = (count: 'ticks' | 'runtime') => share((['serve', 'agent', 'haproxy'] as const).reduce((sum, g) => sum + spent(before[g], after[g], count), 0));
    console.log(
      table(
        ['idle CPU over ' + fmt(wall / 1000) + ' s, % of one core', 'scheduler runtime', 'clock ticks', 'processes'],
        [
          row('fulcrum serve', 'serve'),
          row('amphora agent', 'agent'),
          row('HAProxy (masters + workers)', 'haproxy'),
          ['total (target < 25)', total('runtime'), total('ticks'), String(pids.serve.length + pids.agent.length + pids.haproxy.length)],
        ],
      ),
    );

    // GET show, one at a time.
    const latencies: number[] = [];
    for (let i = 0; i < SHOWS; i++) {
      const lb = lbs[randomInt(0, lbs.length)];
      const t = performance.now();
      await serve.client.expect(200, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`);
      latencies.push(performance.now() - t);
    }
    latencies.sort((a, b) => a - b);
    console.log(`GET show (${SHOWS} sequential, random LB): p50 ${fmt(percentile(latencies, 50), 2)} ms, p99 ${fmt(percentile(latencies, 99), 2)} ms (target < 50), max ${fmt(latencies.at(-1) ?? NaN, 2)} ms`);

    // Member down → API.
    const probeDir = serve.runDirs().find((dir) => readFileSync(join(dir, 'haproxy.cfg'), 'utf8').includes(probe.id));
    if (!probeDir) throw new Error('no run directory for the status probe load balancer');
    const socket = join(probeDir, 'haproxy.sock');
    const status = await serve.client.expect(200, 'GET', `/v2/lbaas/loadbalancers/${probe.id}/status`);
    const poolId = status.statuses.loadbalancer.listeners[0].pools[0].id as string;
    const downPort = probeMembers[1].port;
    const poolMembers = await serve.client.expect(200, 'GET', `/v2/lbaas/pools/${poolId}/members`);
    const downId = poolMembers.members.find((m: { protocol_port: number }) => m.protocol_port === downPort).id as string;
    const memberStatus = async () => (await serve.client.expect(200, 'GET', `/v2/lbaas/pools/${poolId}/members/${downId}`)).member.operating_status as string;
    const rows: string[][] = [];
    const toApi: number[] = [];
    const fromHaproxy: number[] = [];
    for (let run = 0; run < STATUS_RUNS; run++) {
      // Up again, and seen so.
      if (!probeMembers[1].server.listening) probeMembers[1] = await startMember('probe-down', downPort);
      for (let i = 0; i < 600 && (await memberStatus()) !== 'ONLINE'; i++) await sleep(50);
      await sleep(1000);
      const killedAt = performance.now();
      await closeMember(probeMembers[1]);
      let haproxyDownAt = NaN;
      let apiAt = NaN;
      while (performance.now() - killedAt < 20_000 && (Number.isNaN(haproxyDownAt) || Number.isNaN(apiAt))) {
        if (Number.isNaN(haproxyDownAt) && (await haproxyServerStatus(socket, downPort))?.startsWith('DOWN')) haproxyDownAt = performance.now();
        if (Number.isNaN(apiAt) && (await memberStatus()) === 'ERROR') apiAt = performance.now();
        await sleep(10);
      }
      toApi.push(apiAt - killedAt);
      fromHaproxy.push(apiAt - haproxyDownAt);
      rows.push([String(run + 1), fmt(haproxyDownAt - killedAt, 0), fmt(apiAt - killedAt, 0), fmt(apiAt - haproxyDownAt, 0)]);
    }
    console.log(table(['member down run', 'HAProxy DOWN after ms', 'API ERROR after ms', 'HAProxy → API ms (target < 2000)'], rows));
    console.log(`member down → API: median ${fmt(stats(toApi).median, 0)} ms from the server stopping, ${fmt(stats(fromHaproxy).median, 0)} ms from HAProxy's verdict (health monitor delay 1 s, one failed check)`);
    await Promise.all(probeMembers.map(closeMember));
  } finally {
    await serve.stop();
    await Promise.all(members.map(closeMember));
  }
}

await main();
