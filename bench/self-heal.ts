// Self-healing of the local data plane, on the amphora provider (process compute driver, real
// HAProxy on loopback VIPs), measured by one client per load balancer that probes its VIP every
// 10 ms (a new connection each, 200 ms timeout). Three kinds of rounds, nobody calls the API:
//   (a) haproxy     the HAProxy of ONE amphora killed (kill -9 of master and workers): its agent
//                   restarts it.
//                   outage = kill → first 200 from that VIP.                  target < 1 s
//   (b) agent       the agent and every HAProxy killed, serve running: serve's watchdog starts
//                   the agent, which starts every amphora again.
//                   outage = kill → every VIP answered 200 again.              target < 10 s
//   (c) power loss  serve, agent and every HAProxy killed (SIGKILL), then `fulcrum serve` again
//                   on the same data directory.
//                   after API = API answers → every VIP answered 200 again     target < 10 s
//                   (0 when they served before the API answered), beside kill → API and the
//                   total outage.
// The agent's own record of each restart (down_ms in its supervision events) is shown for (a).
//
//   node --import tsx bench/self-heal.ts
//   BENCH_SH_LBS=3 BENCH_SH_ROUNDS=10 BENCH_SH_POWER_ROUNDS=10 BENCH_SH_KINDS=haproxy,agent,power
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, fmt, intFromEnv, stats, table } from './lib.ts';
import {
  childPids,
  createTree,
  freePort,
  killPid,
  loadNote,
  pidAlive,
  probeOnce,
  readPid,
  register,
  serveEnv,
  startBackends,
  startProc,
  tempDir,
  waitApi,
  wallNow,
  type Tree,
} from './dataplane-lib.ts';

const LBS = intFromEnv('BENCH_SH_LBS', 3);
const ROUNDS = intFromEnv('BENCH_SH_ROUNDS', 10);
const POWER_ROUNDS = intFromEnv('BENCH_SH_POWER_ROUNDS', 10);
const KINDS = (process.env.BENCH_SH_KINDS ?? 'haproxy,agent,power').split(',').map((k) => k.trim());
const PROBE_EVERY_MS = 10;
const PROBE_TIMEOUT_MS = 200;
/** Hard bound on waiting for one round's recovery. */
const ROUND_MAX_MS = 120_000;
const SETTLE_MS = 500;
const LISTENER_PORT = 8080;
const CLI = new URL('../bin/fulcrum.js', import.meta.url).pathname;

/** One VIP's probe loop: when each successful request was sent and answered, until stopped. */
class VipProbe {
  readonly ok: { sent: number; done: number }[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(readonly url: string) {
    const bound = performance.now() + 60 * 60_000;
    this.done = (async () => {
      while (this.running && performance.now() < bound) {
        const p = await probeOnce(url, PROBE_TIMEOUT_MS);
        if (p.status === 200) this.ok.push({ sent: p.sent, done: p.done });
        await sleep(PROBE_EVERY_MS);
      }
    })();
  }

  /** When the first request sent after `t` that succeeded was answered. */
  firstOkAfter(t: number): number | null {
    return this.ok.find((p) => p.sent > t)?.done ?? null;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

/** The run directory of every amphora. */
function amphoraDirs(agentDir: string): string[] {
  const run = join(agentDir, 'run');
  return existsSync(run) ? readdirSync(run).map((d) => join(run, d)) : [];
}

/** Every HAProxy process of the install: each master and its workers. */
function haproxyPids(agentDir: string): number[] {
  const pids: number[] = [];
  for (const dir of amphoraDirs(agentDir)) {
    const master = readPid(join(dir, 'haproxy.pid'));
    if (master && pidAlive(master)) pids.push(master, ...childPids(master));
  }
  return pids;
}

function killAll(pids: number[]): void {
  for (const pid of pids) killPid(pid, 'SIGKILL');
}

async function waitGone(pids: number[]): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (pids.some(pidAlive)) {
    if (performance.now() > deadline) throw new Error(`processes ${pids.filter(pidAlive).join(', ')} outlived SIGKILL`);
    await sleep(5);
  }
}

/** Waits until every probe has a 200 after `t`; resolves with the latest of those times. */
async function allBackAfter(probes: VipProbe[], t: number): Promise<number> {
  const deadline = performance.now() + ROUND_MAX_MS;
  for (;;) {
    const firsts = probes.map((p) => p.firstOkAfter(t));
    if (firsts.every((f) => f !== null)) return Math.max(...(firsts as number[]));
    if (performance.now() > deadline) throw new Error(`not every VIP served again within ${ROUND_MAX_MS} ms`);
    await sleep(5);
  }
}

function row(label: string, samples: number[], target: string): string[] {
  const s = stats(samples);
  return [label, String(s.n), fmt(s.median), fmt(s.p90), fmt(s.min), fmt(s.max), target];
}

async function main(): Promise<void> {
  const { dir: dataDir, remove } = tempDir('fulcrum-bench-heal-');
  const agentDir = join(dataDir, 'agent');
  const port = await freePort();
  const env = serveEnv({ FULCRUM_DATA_DIR: dataDir, FULCRUM_API_BIND: `127.0.0.1:${port}`, FULCRUM_LOCAL_AGENT_PORT: String(await freePort()) });
  const origin = `http://127.0.0.1:${port}`;
  // The agent and HAProxy are detached from serve and restarted behind the bench's back: they
  // are found again by their pid files when the run ends.
  const stopDataPlane = register({
    sync: () => {
      killAll(haproxyPids(agentDir));
      const agent = readPid(join(agentDir, 'agent.pid'));
      if (agent) killPid(agent, 'SIGKILL');
    },
    graceful: async () => {
      const pids = haproxyPids(agentDir);
      const agent = readPid(join(agentDir, 'agent.pid'));
      if (agent) pids.push(agent);
      killAll(pids);
      await waitGone(pids);
    },
  });
  const backends = await startBackends(2);
  let serve = startProc('fulcrum serve', process.execPath, [CLI, 'serve'], { env });
  let client = new Client(origin, 2);
  const probes: VipProbe[] = [];
  try {
    await waitApi(origin, serve);
    const network = await client.expect(201, 'POST', '/v2/fulcrum/networks', { network: { name: 'bench-self-heal' } });
    const cidr = `127.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}.0/24`;
    const subnet = await client.expect(201, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.network.id, cidr } });
    const trees: Tree[] = [];
    for (let i = 0; i < LBS; i++) trees.push(await createTree(client, subnet.subnet.id, `heal-${i}`, LISTENER_PORT, backends.ports));
    for (const tree of trees) probes.push(new VipProbe(tree.url));
    await allBackAfter(probes, wallNow());
    console.log(`self-heal: ${LBS} load balancers, probes every ${PROBE_EVERY_MS} ms per VIP (${PROBE_TIMEOUT_MS} ms timeout); ${loadNote()}`);

    const results: string[][] = [];
    if (KINDS.includes('haproxy')) {
      const outage: number[] = [];
      const agentDown: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const i = r % trees.length;
        const dir = amphoraDirs(agentDir).find((d) => readFileSync_(join(d, 'haproxy.cfg')).includes(trees[i].lbId))!;
        const master = readPid(join(dir, 'haproxy.pid'))!;
        const victims = [master, ...childPids(master)];
        const restartsBefore = agentRestarts(dataDir).length;
        const t0 = wallNow();
        // Master and workers: killing the master alone leaves its workers serving a while.
        killAll(victims);
        const back = await allBackAfter([probes[i]], t0);
        outage.push(back - t0);
        await waitGone(victims);
        const logged = performance.now() + 10_000;
        while (agentRestarts(dataDir).length === restartsBefore && performance.now() < logged) await sleep(10);
        const restarted = agentRestarts(dataDir).at(-1);
        if (agentRestarts(dataDir).length > restartsBefore && restarted?.down_ms !== undefined) agentDown.push(restarted.down_ms);
        await sleep(SETTLE_MS);
      }
      results.push(row('(a) one HAProxy killed: kill → VIP serves', outage, '< 1000'));
      if (agentDown.length > 0) results.push(row("    the agent's own down_ms (exit seen → serving)", agentDown, ''));
    }
    if (KINDS.includes('agent')) {
      const outage: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const agent = readPid(join(agentDir, 'agent.pid'))!;
        const victims = [agent, ...haproxyPids(agentDir)];
        const t0 = wallNow();
        killAll(victims);
        const back = await allBackAfter(probes, t0);
        outage.push(back - t0);
        await waitGone(victims);
        await sleep(SETTLE_MS);
      }
      results.push(row('(b) agent + every HAProxy killed: kill → every VIP serves', outage, '< 10000'));
    }
    if (KINDS.includes('power')) {
      const afterApi: number[] = [];
      const toApi: number[] = [];
      const total: number[] = [];
      for (let r = 0; r < POWER_ROUNDS; r++) {
        const agent = readPid(join(agentDir, 'agent.pid'))!;
        const victims = [serve.pid, agent, ...haproxyPids(agentDir)];
        await client.close();
        const t0 = wallNow();
        killAll(victims);
        await serve.exited;
        await waitGone(victims);
        serve = startProc('fulcrum serve', process.execPath, [CLI, 'serve'], { env });
        client = new Client(origin, 2);
        await waitApi(origin, serve);
        const apiAt = wallNow();
        const back = await allBackAfter(probes, t0);
        afterApi.push(Math.max(0, back - apiAt));
        toApi.push(apiAt - t0);
        total.push(back - t0);
        await sleep(SETTLE_MS);
      }
      results.push(row('(c) power loss: API answers → every VIP serves', afterApi, '< 10000'));
      results.push(row('    kill → API answers (serve restarted at once)', toApi, ''));
      results.push(row('    kill → every VIP serves', total, ''));
    }
    console.log(table(['ms', 'n', 'median', 'p90', 'min', 'max', 'target'], results));
  } finally {
    for (const p of probes) await p.stop();
    await client.close();
    await serve.stop();
    await stopDataPlane();
    await backends.stop();
    await remove();
  }
}

function readFileSync_(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The agent logs every restart with its reason and down_ms ("haproxy restarted"). */
function agentRestarts(dataDir: string): { reason?: string; down_ms?: number }[] {
  return readFileSync_(join(dataDir, 'agent', 'agent.log'))
    .split('\n')
    .filter((l) => l.includes('"haproxy restarted"'))
    .map((l) => JSON.parse(l) as { reason?: string; down_ms?: number });
}

await main();
