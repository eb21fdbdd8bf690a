// Heartbeat processing, in one process:
//  1. The receiver's checks (size, key, HMAC, bounded inflate, JSON shape, window, sequence,
//     agent, rate) per datagram, against a plain JSON.parse of the same body as the baseline.
//  2. The health manager at scale on the embedded database: N amphorae (load balancers with a
//     listener, a pool and two members, on the noop provider) heartbeating every second through
//     real UDP sockets from the agent's sender in a child process; the CPU of this process (the
//     manager and its database) with and without the heartbeats arriving, how many arrive, and
//     the database rows its flushes touch when nothing changes (the idle case of the 500-LB target).
//
//   node --import tsx bench/heartbeat-rate.ts
//   BENCH_HB_AMPHORAE=500 BENCH_HB_SECONDS=10 BENCH_HB_PACKETS=20000
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { encodeHeartbeat, type Heartbeat } from '../src/agent/heartbeat-codec.ts';
import { HeartbeatReceiver } from '../src/health/heartbeat-receiver.ts';
import { HeartbeatSender } from '../src/agent/heartbeat-sender.ts';
import type { Snapshot } from '../src/agent/heartbeat-snapshot.ts';
import { settingsDigest, type HeartbeatSettings } from '../src/agent/heartbeat-settings.ts';
import { createLogger } from '../src/observability/logger.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { createApi, openRuntime, startWorker } from '../src/runtime.ts';
import { HealthManager } from '../src/health/health-manager.ts';
import { secretStoreFor } from '../src/certs/secret-store.ts';
import { DbStatusCallbacks } from '../src/providers/status-callbacks.ts';

const PACKETS = intFromEnv('BENCH_HB_PACKETS', 20_000);
const AMPHORAE = intFromEnv('BENCH_HB_AMPHORAE', 500);
const SECONDS = intFromEnv('BENCH_HB_SECONDS', 10);
const log = createLogger('silent');

interface SenderFleet {
  settings: HeartbeatSettings;
  fleet: { amphoraId: string; listenerId: string; poolId: string; members: string[] }[];
}

// The child: the agent's sender for the fleet in the file, until killed.
if (process.argv[2] === '--sender') {
  const { settings, fleet } = JSON.parse(readFileSync(process.argv[3], 'utf8')) as SenderFleet;
  const byId = new Map(fleet.map((f) => [f.amphoraId, f]));
  const sender = new HeartbeatSender(
    {
      ids: () => fleet.map((f) => f.amphoraId),
      snapshot: async (id: string): Promise<Snapshot> => {
        const f = byId.get(id)!;
        return {
          running: true,
          epoch: '1.2',
          proxies: [
            { p: f.listenerId, s: 'FRONTEND', st: 'OPEN', c: [1000, 2000, 0, 10, 0] },
            { p: f.poolId, s: 'BACKEND', st: 'UP' },
            ...f.members.map((m) => ({ p: f.poolId, s: m, st: 'no check' })),
          ],
        };
      },
    },
    log,
  );
  sender.configure(settings);
  // Bounded: the parent kills it long before.
  setTimeout(() => process.exit(0), 30 * 60_000);
  await new Promise(() => {});
}

// ---- 1. per-datagram checks -----------------------------------------------------------------
{
  const key = randomBytes(32);
  const amphorae = Array.from({ length: 100 }, () => randomUUID());
  const proxies = (id: string) => [
    { p: id, s: 'FRONTEND', st: 'OPEN', c: [123456, 654321, 3, 4567, 0] as [number, number, number, number, number] },
    { p: `${id}:be`, s: 'BACKEND', st: 'UP' },
    { p: `${id}:be`, s: randomUUID(), st: 'UP' },
    { p: `${id}:be`, s: randomUUID(), st: 'UP' },
  ];
  const receiver = new HeartbeatReceiver(
    {
      keys: async () => new Map([['k1', { keyId: 'k1', agentUrl: 'agent', key }]]),
      amphorae: async () => new Map(amphorae.map((id) => [id, { agentUrl: 'agent', lastSeq: 0 }])),
    },
    () => {},
    { windowMs: 60_000, maxPerSecond: Number.MAX_SAFE_INTEGER },
    log,
  );
  await receiver.refresh();
  const bodies: Heartbeat[] = [];
  const packets: Buffer[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const hb: Heartbeat = { amphora_id: amphorae[i % amphorae.length], seq: i + 1, ts: Date.now(), haproxy: { running: true, epoch: '1.2' }, proxies: proxies(amphorae[i % amphorae.length]) };
    bodies.push(hb);
    packets.push(encodeHeartbeat(hb, 'k1', key));
  }
  const texts = bodies.map((b) => JSON.stringify(b));
  const runs: { checked: number; parsed: number }[] = [];
  for (let run = 0; run < 5; run++) {
    // Fresh sequences each run: a new receiver memory.
    const r = new HeartbeatReceiver({ keys: async () => new Map([['k1', { keyId: 'k1', agentUrl: 'agent', key }]]), amphorae: async () => new Map(amphorae.map((id) => [id, { agentUrl: 'agent', lastSeq: 0 }])) }, () => {}, { windowMs: 60_000, maxPerSecond: Number.MAX_SAFE_INTEGER }, log);
    await r.refresh();
    const now = Date.now();
    let t = performance.now();
    for (const p of packets) r.handle(p, now);
    const checkedMs = performance.now() - t;
    if (r.counters.accepted !== PACKETS) throw new Error(`accepted ${r.counters.accepted} of ${PACKETS}`);
    t = performance.now();
    let n = 0;
    for (const text of texts) n += (JSON.parse(text) as Heartbeat).proxies.length;
    const parsedMs = performance.now() - t;
    if (n === 0) throw new Error('nothing parsed');
    runs.push({ checked: PACKETS / (checkedMs / 1000), parsed: PACKETS / (parsedMs / 1000) });
  }
  const checked = stats(runs.map((r) => r.checked)).median;
  const parsed = stats(runs.map((r) => r.parsed)).median;
  console.log(`\nHeartbeat checks per datagram (${PACKETS} datagrams of ${fmt(packets[0].length, 0)} bytes, 5 runs, medians)`);
  console.log(table(['', 'datagrams/s', 'µs each'], [
    ['receiver: parse, HMAC, inflate, validate, window, sequence', fmt(checked, 0), fmt(1e6 / checked, 2)],
    ['baseline: JSON.parse of the body', fmt(parsed, 0), fmt(1e6 / parsed, 2)],
  ]));
  console.log(`ratio ${fmt(parsed / checked, 1)}× a bare JSON.parse; one core checks ${fmt(checked / 1000, 0)}k amphorae heartbeating once a second`);
}

// ---- 2. the manager at scale, idle ---------------------------------------------------------
{
  const database = await openDatabase('pglite:memory://', { migrate: true });
  const config = loadConfig({}, { defaultProvider: 'noop', networkDriver: 'noop', secretKey: 'f'.repeat(64), jobPollMs: 20 });
  const rt = await openRuntime(config, { migrate: false, database, log });
  const worker = startWorker(rt);
  await worker.start();
  const api = await createApi(rt);
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await api.inject({ method: method as 'GET', url, headers: { 'x-project-id': 'bench', 'content-type': 'application/json' }, payload: body === undefined ? undefined : JSON.stringify(body) });
    return JSON.parse(res.body || 'null');
  };
  const agentUrl = 'https://bench-agent.invalid:9443';
  const fleet: { amphoraId: string; listenerId: string; poolId: string; members: string[] }[] = [];
  const t0 = performance.now();
  for (let i = 0; i < AMPHORAE; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, AMPHORAE - i) }, async () => {
        const lb = await call('POST', '/v2/lbaas/loadbalancers', {
          loadbalancer: {
            vip_subnet_id: '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60',
            listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '10.0.0.1', protocol_port: 80 }, { address: '10.0.0.2', protocol_port: 80 }] } }],
          },
        });
        const full = lb.loadbalancer;
        const pool = full.pools[0].id as string;
        const members = (await call('GET', `/v2/lbaas/pools/${pool}/members`)).members.map((m: { id: string }) => m.id);
        const amphoraId = randomUUID();
        await database.db.insertInto('amphora').values({ id: amphoraId, load_balancer_id: full.id, status: 'ALLOCATED', role: 'STANDALONE', compute_driver: 'process', agent_url: agentUrl }).execute();
        fleet.push({ amphoraId, listenerId: full.listeners[0].id, poolId: pool, members });
      }),
    );
  }
  for (;;) {
    const pending = await database.db.selectFrom('load_balancer').select('id').where('provisioning_status', '<>', 'ACTIVE').execute();
    if (pending.length === 0) break;
    await sleep(100);
  }
  console.log(`\n${AMPHORAE} load balancers (listener, pool, 2 members each) created in ${fmt((performance.now() - t0) / 1000)} s`);
  await worker.stop();

  let pushed: HeartbeatSettings | null = null;
  const agents = {
    ping: async () => true,
    heartbeatDigest: async () => (pushed ? settingsDigest(pushed) : null),
    configureHeartbeat: async (_url: string, s: HeartbeatSettings) => {
      pushed = s;
    },
    hosted: async () => [],
    remove: async () => {},
  };
  const manager = new HealthManager({
    db: database.db,
    secrets: secretStoreFor(config),
    agents: async () => agents,
    callbacks: new DbStatusCallbacks(database.db),
    log,
    settings: {
      bindHost: '127.0.0.1',
      port: 0,
      advertiseHost: null,
      flushMs: config.healthPollMs,
      intervalMs: 1000,
      timeoutMs: 3000,
      hostGraceMs: 15_000,
      autoFailover: false,
      maxConcurrentFailovers: 4,
      breaker: { fleet: 0.5, az: 0.5, host: null, minSilent: 3 },
      jobMaxAttempts: 1,
      syncMs: 60_000,
    },
  });
  let elapsedS = SECONDS;
  const cpuShare = async (): Promise<number> => {
    const before = process.cpuUsage();
    const t = performance.now();
    await sleep(SECONDS * 1000);
    const used = process.cpuUsage(before);
    elapsedS = (performance.now() - t) / 1000;
    return (used.user + used.system) / 1000 / (performance.now() - t);
  };
  await manager.start();
  const idleNoHeartbeats = await cpuShare();
  const file = join(tmpdir(), `fulcrum-bench-hb-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ settings: pushed!, fleet } satisfies SenderFleet), { mode: 0o600 });
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--sender', file], { stdio: 'inherit' });
  try {
    // The first heartbeats write every status and counter once; then the fleet is idle.
    const warm = performance.now();
    for (;;) {
      const stored = await database.db.selectFrom('listener_statistics').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      if (Number(stored.n) >= AMPHORAE) break;
      if (performance.now() - warm > 300_000) throw new Error(`only ${stored.n} of ${AMPHORAE} listeners have statistics after 300 s`);
      await sleep(500);
    }
    console.log(`\nfirst heartbeats of every amphora written in ${fmt((performance.now() - warm) / 1000)} s`);
    // What queued in the socket's buffer meanwhile drains before the idle measurement.
    await sleep(15_000);
    const acceptedBefore = manager.receiver.counters.accepted;
    const receivedBefore = manager.receiver.counters.received;
    const since = new Date();
    const withHeartbeats = await cpuShare();
    const accepted = manager.receiver.counters.accepted - acceptedBefore;
    const received = manager.receiver.counters.received - receivedBefore;
    const statsWritten = await database.db.selectFrom('listener_statistics').select('listener_id').where('updated_at', '>', since).execute();
    const healthRows = await database.db.selectFrom('amphora_health').select('amphora_id').execute();
    const statused = await database.db.selectFrom('member').select('id').where('operating_status', '=', 'NO_MONITOR').execute();
    console.log(`\nHealth manager, ${AMPHORAE} amphorae heartbeating every second from a child process, idle (embedded database, ${SECONDS} s):`);
    console.log(
      table(
        ['', 'value'],
        [
          ['heartbeats received/s, accepted/s', `${fmt(received / elapsedS, 0)}, ${fmt(accepted / elapsedS, 0)}`],
          ['CPU of this process with heartbeats', `${fmt(withHeartbeats * 100)}% of one core`],
          ['baseline: the same process, no heartbeats', `${fmt(idleNoHeartbeats * 100)}% of one core`],
          ['listener statistics rows written while idle', String(statsWritten.length)],
          ['amphorae with a health row', `${healthRows.length} of ${AMPHORAE}`],
          ['members with a status from heartbeats', `${statused.length} of ${AMPHORAE * 2}`],
        ],
      ),
    );
    console.log(`Target (500 LBs idle: all Fulcrum processes < 25% of one core): heartbeats cost the manager ${fmt((withHeartbeats - idleNoHeartbeats) * 100)}% of one core (${fmt(withHeartbeats / Math.max(idleNoHeartbeats, 1e-6), 1)}× the idle process)`);
  } finally {
    child.kill('SIGKILL');
    rmSync(file, { force: true });
  }
  await manager.stop();
  await api.close();
  await database.close();
}
