// The device inventory, measured:
//  1. Scheduler decisions per second (pure chooseHost) over 5, 50 and 500 hosts, against the
//     least work any placement does (a linear scan for the fewest amphorae) in the same run.
//  2. Placing 200 load balancers over 5 hosts (amphora provider on the noop compute driver, the
//     embedded database, API + worker in this process): time from the first create to all
//     ACTIVE and the spread, against the same 200 with an empty inventory (no scheduling).
//  3. Draining a host with 20 load balancers (process compute driver, two `fulcrum host join`
//     agents on loopback, each LB with a listener and a member): time from DRAINING to the host
//     empty, and the longest outage any LB's prober (a GET every 20 ms, bounded) saw; against
//     one LB migrated alone in the same run.
//
//   node --import tsx bench/hosts.ts
//   BENCH_HOSTS_LBS=200 BENCH_HOSTS_DRAIN_LBS=20 BENCH_HOSTS_DECISIONS=20000 BENCH_HOSTS_STAGES=scheduler,placement,drain
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { chooseHost, type HostCandidate } from '../src/inventory/scheduler.ts';
import { loadConfig, type FulcrumConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createApi, openRuntime, startHealthManager, startWorker } from '../src/runtime.ts';

const LBS = intFromEnv('BENCH_HOSTS_LBS', 200);
const DRAIN_LBS = intFromEnv('BENCH_HOSTS_DRAIN_LBS', 20);
const DECISIONS = intFromEnv('BENCH_HOSTS_DECISIONS', 20_000);
const BIN = fileURLToPath(new URL('../bin/fulcrum.js', import.meta.url));
const log = createLogger('silent');
const SECRET = 'b'.repeat(64);

function fleet(n: number): HostCandidate[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `h${i}`,
    name: `host-${String(i).padStart(4, '0')}`,
    availabilityZone: i % 2 ? 'az1' : 'az2',
    adminState: i % 17 === 0 ? 'DISABLED' : 'ENABLED',
    operatingStatus: 'ONLINE',
    capacity: i % 3 === 0 ? null : 1000,
    labels: { rack: `r${i % 8}` },
    amphoraCount: (i * 7919) % 300,
  }));
}

function perSecond(n: number, fn: (i: number) => void): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return (n / (performance.now() - t)) * 1000;
}

function schedulerBench(): void {
  console.log('\n1. scheduler decisions per second (median of 5 rounds)');
  const rows: string[][] = [];
  for (const size of [5, 50, 500]) {
    const hosts = fleet(size);
    const peers = [hosts[1].id];
    // Fewer rounds' worth for big fleets, so every size takes about as long.
    const n = Math.max(1000, Math.round((DECISIONS * 5) / size));
    const decide: number[] = [];
    const scan: number[] = [];
    let sink = 0;
    for (let round = 0; round < 5; round++) {
      decide.push(perSecond(n, (i) => {
        const p = chooseHost(hosts, { availabilityZone: i % 2 ? 'az1' : null, labels: i % 4 === 0 ? { rack: 'r1' } : undefined, antiAffinity: peers });
        if ('host' in p) sink++;
      }));
      scan.push(perSecond(n, () => {
        let best = hosts[0];
        for (const h of hosts) if (h.amphoraCount < best.amphoraCount) best = h;
        sink += best.amphoraCount;
      }));
    }
    const d = stats(decide).median;
    const s = stats(scan).median;
    rows.push([String(size), fmt(d, 0), fmt(s, 0), fmt(s / d, 1)]);
    if (sink < 0) console.log(sink);
  }
  console.log(table(['hosts', 'chooseHost/s', 'min-scan/s', 'scan/choose'], rows));
}

async function control(config: Partial<FulcrumConfig>, health = false) {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-bench-hosts-'));
  const cfg = loadConfig({}, { dataDir, secretKey: SECRET, jobPollMs: 50, defaultProvider: 'amphora', autoFailover: false, ...config });
  const rt = await openRuntime(cfg, { migrate: true, log });
  const worker = startWorker(rt);
  await worker.start();
  const hm = health ? await startHealthManager(rt) : null;
  const api = await createApi(rt);
  const url = await api.listen({ host: '127.0.0.1', port: 0 });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, { method, headers: { 'x-project-id': 'bench', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  return {
    rt,
    url,
    call,
    dataDir,
    async close() {
      await api.close();
      await worker.stop();
      await hm?.stop();
      await rt.closeDataPlane();
      await rt.database.close();
      // The controller's own agent (process driver) was started detached: stop it by its pid.
      const pidFile = join(dataDir, 'agent', 'agent.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function allActive(rt: Awaited<ReturnType<typeof control>>['rt'], timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await rt.database.db.selectFrom('load_balancer').select(['id', 'provisioning_status']).where('provisioning_status', 'not in', ['ACTIVE', 'DELETED']).execute();
    if (left.length === 0) return;
    const failed = left.find((l) => l.provisioning_status === 'ERROR');
    if (failed) {
      const job = await rt.database.db.selectFrom('job').select('last_error').where('load_balancer_id', '=', failed.id).orderBy('id', 'desc').executeTakeFirst();
      throw new Error(`load balancer ${failed.id} went ERROR: ${job?.last_error ?? 'no job error'}`);
    }
    if (Date.now() > deadline) throw new Error(`${left.length} load balancers not ACTIVE`);
    await sleep(50);
  }
}

async function placementRun(hosts: number): Promise<{ seconds: number; spread: number[] }> {
  const c = await control({ computeDriver: 'noop', networkDriver: 'noop' });
  try {
    for (let i = 0; i < hosts; i++) {
      await c.rt.database.db.insertInto('host').values({ id: randomUUID(), name: `h${i}`, address: '192.0.2.1', port: 9000 + i, last_seen_at: new Date() }).execute();
    }
    const t = performance.now();
    for (let i = 0; i < LBS; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, LBS - i) }, () => c.call('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60' } })));
    }
    await allActive(c.rt);
    const seconds = (performance.now() - t) / 1000;
    const rows = await c.rt.database.db.selectFrom('amphora').select(['host_id', (eb) => eb.fn.countAll<string>().as('n')]).where('status', '=', 'ALLOCATED').groupBy('host_id').execute();
    return { seconds, spread: rows.filter((r) => r.host_id).map((r) => Number(r.n)).sort((a, b) => a - b) };
  } finally {
    await c.close();
  }
}

async function placementBench(): Promise<void> {
  console.log(`\n2. placing ${LBS} load balancers (amphora provider, noop compute, embedded database)`);
  const without = await placementRun(0);
  const withHosts = await placementRun(5);
  console.log(
    table(
      ['inventory', 'create → all ACTIVE (s)', 'LBs/s', 'amphorae per host'],
      [
        ['empty (no scheduling)', fmt(without.seconds, 2), fmt(LBS / without.seconds), '-'],
        ['5 hosts', fmt(withHosts.seconds, 2), fmt(LBS / withHosts.seconds), withHosts.spread.join(' / ')],
      ],
    ),
  );
  console.log(`ratio 5 hosts / empty: ${fmt(withHosts.seconds / without.seconds, 2)}`);
}

function startHost(controller: string, token: string, name: string, dir: string, port: number): ChildProcess {
  return spawn(process.execPath, [BIN, 'host', 'join', '--controller', controller, '--token', token, '--name', name, '--address', '127.0.0.1', '--port', String(port), '--data-dir', dir], { stdio: 'ignore' });
}

function killHostDaemons(dir: string): void {
  const runDir = join(dir, 'run');
  if (!existsSync(runDir)) return;
  for (const amphora of readdirSync(runDir)) {
    const file = join(runDir, amphora, 'haproxy.pid');
    if (!existsSync(file)) continue;
    try {
      process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** A GET every 20 ms until stopped (bounded); the longest run of failures in ms. */
function prober(url: string) {
  let stopping = false;
  let longest = 0;
  let failed = 0;
  let downSince: number | null = null;
  const deadline = Date.now() + 600_000;
  const loop = (async () => {
    for (let i = 0; i < 50_000 && !stopping && Date.now() < deadline; i++) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000), headers: { connection: 'close' } });
        await res.text();
        if (downSince !== null) longest = Math.max(longest, Date.now() - downSince);
        downSince = null;
      } catch {
        failed++;
        downSince ??= Date.now();
      }
      await sleep(20);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return { longest: downSince !== null ? Math.max(longest, Date.now() - downSince) : longest, failed };
    },
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function drainBench(): Promise<void> {
  console.log(`\n3. draining a host with ${DRAIN_LBS} load balancers (process compute, two joined hosts on loopback)`);
  const c = await control({ computeDriver: 'process', networkDriver: 'local', localAgentPort: await freePort(), healthPollMs: 200, failoverMaxConcurrent: 4 }, true);
  const backend = createServer((_q, r) => r.end('ok'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;
  const hosts: { dir: string; proc: ChildProcess; id?: string }[] = [];
  try {
    await c.rt.dataPlane.compute();
    const local = (await c.call('GET', '/v2/fulcrum/hosts?kind=local')).hosts[0];
    await c.call('PUT', `/v2/fulcrum/hosts/${local.id}`, { host: { admin_state: 'DISABLED' } });
    const network = (await c.call('POST', '/v2/fulcrum/networks', { network: { name: 'bench' } })).network;
    const subnet = (await c.call('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: `127.${220 + Math.floor(Math.random() * 20)}.${Math.floor(Math.random() * 250)}.0/24` } })).subnet;
    for (const name of ['a', 'b']) {
      const dir = mkdtempSync(join(tmpdir(), `fulcrum-bench-host-${name}-`));
      const token = (await c.call('POST', '/v2/fulcrum/hosts/join-tokens', {})).join_token.token;
      hosts.push({ dir, proc: startHost(c.url, token, name, dir, await freePort()) });
    }
    for (;;) {
      const joined = (await c.call('GET', '/v2/fulcrum/hosts?kind=joined')).hosts;
      if (joined.length === 2) {
        for (const h of hosts) h.id = joined.find((j: { name: string }) => h.dir.includes(`-host-${j.name}-`))?.id;
        break;
      }
      await sleep(200);
    }
    const [a, b] = hosts.map((h) => h.id!);
    await c.call('PUT', `/v2/fulcrum/hosts/${b}`, { host: { admin_state: 'DISABLED' } });
    const lbs: { id: string; url: string }[] = [];
    for (let i = 0; i < DRAIN_LBS; i++) {
      const lb = (
        await c.call('POST', '/v2/lbaas/loadbalancers', {
          loadbalancer: { vip_subnet_id: subnet.id, listeners: [{ protocol: 'HTTP', protocol_port: 8080, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backendPort }] } }] },
        })
      ).loadbalancer;
      lbs.push({ id: lb.id, url: `http://${lb.vip_address}:8080/` });
    }
    await allActive(c.rt);
    await c.call('PUT', `/v2/fulcrum/hosts/${b}`, { host: { admin_state: 'ENABLED' } });
    // Baseline: one LB migrated alone, a prober on it.
    const single = prober(lbs[0].url);
    const t1 = performance.now();
    await c.call('POST', `/v2/fulcrum/loadbalancers/${lbs[0].id}/migrate`, { host_id: b });
    await sleep(100);
    await allActive(c.rt);
    const singleS = (performance.now() - t1) / 1000;
    const singleProbe = await single.stop();
    // The drain of the other host's LBs, every one probed.
    const probes = lbs.slice(1).map((lb) => prober(lb.url));
    await sleep(300);
    const t2 = performance.now();
    await c.call('PUT', `/v2/fulcrum/hosts/${a}`, { host: { admin_state: 'DRAINING' } });
    for (;;) {
      if ((await c.call('GET', `/v2/fulcrum/hosts/${a}`)).host.amphora_count === 0) break;
      await sleep(100);
    }
    await allActive(c.rt);
    const drainS = (performance.now() - t2) / 1000;
    await sleep(300);
    const outcomes = await Promise.all(probes.map((p) => p.stop()));
    const longest = stats(outcomes.map((o) => o.longest));
    console.log(
      table(
        ['operation', 'LBs', 'time (s)', 'per LB (s)', 'longest outage (ms)', 'failed probes'],
        [
          ['migrate one LB (baseline)', '1', fmt(singleS, 2), fmt(singleS, 2), fmt(singleProbe.longest, 0), String(singleProbe.failed)],
          [`drain host (${DRAIN_LBS - 1} LBs)`, String(DRAIN_LBS - 1), fmt(drainS, 2), fmt(drainS / (DRAIN_LBS - 1), 2), `${fmt(longest.max, 0)} (median ${fmt(longest.median, 0)})`, String(outcomes.reduce((n, o) => n + o.failed, 0))],
        ],
      ),
    );
    console.log(`ratio drain per LB / one migrate: ${fmt(drainS / (DRAIN_LBS - 1) / singleS, 2)}`);
  } finally {
    for (const h of hosts) {
      h.proc.kill('SIGKILL');
      killHostDaemons(h.dir);
    }
    backend.close();
    await c.close();
    for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
  }
}

// BENCH_HOSTS_STAGES=scheduler,placement,drain (default all three).
const stages = new Set((process.env.BENCH_HOSTS_STAGES ?? 'scheduler,placement,drain').split(','));
if (stages.has('scheduler')) schedulerBench();
if (stages.has('placement')) await placementBench();
if (stages.has('drain')) await drainBench();
process.exit(0);
