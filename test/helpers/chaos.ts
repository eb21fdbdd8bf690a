// The chaos harness shared by test/e2e/chaos.test.ts and bench/chaos.ts: a real `fulcrum serve`
// (process compute driver, real HAProxy on loopback VIPs, heartbeats and automatic failover on),
// a few load balancers, a bounded prober per VIP, seeded failures of the data plane, and the
// final consistency check of the install (statuses, amphora rows, processes).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentOf, pidRunning } from '../../src/agent/process-table.ts';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from './data-plane.ts';
import { httpGet } from './netns.ts';
import { startFulcrum, type FulcrumProcess } from './processes.ts';

/** Polls of 100 ms for a round's target to run again before it gives up on it. */
const TARGET_POLLS = 300;

export const FAILURE_KINDS = ['haproxy', 'agent', 'agent+haproxy'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface ChaosLb {
  id: string;
  url: string;
  backend: string;
}

export interface AmphoraView {
  id: string;
  loadbalancer_id: string | null;
  status: string;
  role: string | null;
}

/** Live processes under `dir` whose command line names it (HAProxy: `-f <run>/<id>/haproxy.cfg`). */
function processesUnder(dir: string): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter((a) => a.length > 0);
    } catch {
      continue;
    }
    if (argv.some((a) => a.startsWith(dir + '/')) && pidRunning(Number(entry))) found.push({ pid: Number(entry), argv });
  }
  return found;
}

/** Live `amphora-agent` processes whose environment names `agentDir/run` as their base directory. */
function agentsOf(runDir: string): number[] {
  const wanted = `FULCRUM_AGENT_BASE_DIR=${runDir}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const agent = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((a) => a === 'amphora-agent' || a.endsWith('/fulcrum-amphora-agent.js'));
      if (agent && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(wanted) && pidRunning(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Requests through one VIP in a loop (a new connection each), until stopped or `maxMs` passed. */
export class VipProber {
  /** Every request: when it was sent and whether it got the backend's answer. */
  readonly samples: { at: number; ok: boolean }[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(readonly lb: ChaosLb, everyMs: number, timeoutMs: number, maxMs: number) {
    const bound = Date.now() + maxMs;
    this.done = (async () => {
      while (this.running && Date.now() < bound) {
        const at = Date.now();
        const res = await httpGet(lb.url, timeoutMs).catch(() => null);
        this.samples.push({ at, ok: res?.status === 200 && res.body === lb.backend });
        await sleep(everyMs);
      }
    })();
  }

  /** Requests sent in [from, to) that failed, and the outage: from the first failure in that
   * window to the first success after it (0 when none failed; to `to` when none came back). */
  outage(from: number, to: number): { failed: number; outageMs: number } {
    const window = this.samples.filter((s) => s.at >= from && s.at < to);
    const firstBad = window.findIndex((s) => !s.ok);
    if (firstBad < 0) return { failed: 0, outageMs: 0 };
    const back = window.slice(firstBad).find((s) => s.ok);
    return { failed: window.filter((s) => !s.ok).length, outageMs: (back?.at ?? to) - window[firstBad].at };
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export interface ChaosInstall {
  dataDir: string;
  agentDir: string;
  runDir: string;
  serve: FulcrumProcess;
  base: string;
  lbs: ChaosLb[];
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The live amphorae (the operator API hides DELETED ones). */
  amphorae(): Promise<AmphoraView[]>;
  /** Kills `kind` (the victim LB's amphora for `haproxy`); what was killed, for the log. */
  inflict(kind: FailureKind, victim: ChaosLb): Promise<string>;
  /** Every VIP answers with its backend and every LB is ACTIVE, polled at most `polls` times. */
  settle(polls: number): Promise<void>;
  /**
   * The health manager has heard every live amphora (polled at most `polls` times): before that
   * it monitors none of them, so a failure would go unjudged.
   */
  heard(polls: number): Promise<void>;
  /** What is wrong with the install now (empty when consistent). */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startChaosInstall(name: string, lbCount: number, extraEnv: Record<string, string> = {}): Promise<ChaosInstall> {
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-${name}-`));
  const agentDir = join(dataDir, 'agent');
  const runDir = join(agentDir, 'run');
  const cidr = `127.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`;
  const backends: Backend[] = [];
  const env: Record<string, string> = {
    FULCRUM_DATA_DIR: dataDir,
    FULCRUM_API_BIND: '127.0.0.1:0',
    FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
    FULCRUM_HEALTH_PORT: String(await freePort()),
    FULCRUM_DEFAULT_PROVIDER: 'amphora',
    FULCRUM_NETWORK_DRIVER: 'local',
    FULCRUM_COMPUTE_DRIVER: 'process',
    FULCRUM_JOB_POLL_MS: '50',
    FULCRUM_AUTO_FAILOVER: 'true',
    ...extraEnv,
  };
  const serve = startFulcrum(['serve'], env);
  const lbs: ChaosLb[] = [];
  let base = '';
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { 'x-project-id': name, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const close = async () => {
    await serve.stop('SIGKILL');
    stopLocalDataPlane(dataDir);
    // Anything still running from this install (a HAProxy whose pid file was already rewritten).
    for (const p of processesUnder(runDir)) kill(p.pid);
    for (const pid of agentsOf(runDir)) kill(pid);
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    base = await serve.address;
    const network = await call('POST', '/v2/fulcrum/networks', { network: { name } });
    if (network.status !== 201) throw new Error(`network: ${network.status} ${JSON.stringify(network.body)}`);
    const subnet = await call('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr } });
    if (subnet.status !== 201) throw new Error(`subnet: ${subnet.status} ${JSON.stringify(subnet.body)}`);
    for (let i = 0; i < lbCount; i++) {
      const backend = await startBackend(`${name}-be-${i}`);
      backends.push(backend);
      const lb = await call('POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: {
          name: `${name}-${i}`,
          vip_subnet_id: subnet.body.subnet.id,
          listeners: [
            {
              protocol: 'HTTP',
              protocol_port: 8080,
              default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] },
            },
          ],
        },
      });
      if (lb.status !== 201) throw new Error(`load balancer: ${lb.status} ${JSON.stringify(lb.body)}`);
      lbs.push({ id: lb.body.loadbalancer.id, url: `http://${lb.body.loadbalancer.vip_address}:8080/`, backend: backend.name });
    }
  } catch (err) {
    await close();
    throw err;
  }

  const amphorae = async (): Promise<AmphoraView[]> => {
    const res = await call('GET', '/v2/octavia/amphorae');
    if (res.status !== 200) throw new Error(`amphorae: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.amphorae;
  };

  const haproxyOf = (amphoraId: string): number[] => {
    const master = readPid(join(runDir, amphoraId, 'haproxy.pid'));
    const all = processesUnder(join(runDir, amphoraId)).map((p) => p.pid);
    return master && pidRunning(master) ? [master, ...all.filter((p) => p !== master)] : all;
  };

  const install: ChaosInstall = {
    dataDir,
    agentDir,
    runDir,
    serve,
    base,
    lbs,
    call,
    amphorae,
    async inflict(kind, victim) {
      // A round kills something: it waits (bounded) until what it kills runs again.
      const waited = (i: number) => (i === 0 ? '' : ` after ${i} polls`);
      for (let i = 0; i < TARGET_POLLS; i++) {
        if (kind === 'haproxy') {
          const amphora = (await amphorae()).find((a) => a.loadbalancer_id === victim.id && a.status === 'ALLOCATED');
          const pids = amphora ? haproxyOf(amphora.id) : [];
          if (amphora && pids.length > 0) {
            // Master and workers: the workers of a killed master would serve on a while.
            for (const pid of pids) kill(pid);
            return `HAProxy of amphora ${amphora.id} (LB ${victim.id}): pids ${pids.join(', ')}${waited(i)}`;
          }
        } else {
          const agents = agentsOf(runDir);
          if (agents.length > 0) {
            for (const pid of agents) kill(pid);
            if (kind === 'agent') return `agent pids ${agents.join(', ')}${waited(i)}`;
            const haproxies = processesUnder(runDir).map((p) => p.pid);
            for (const pid of haproxies) kill(pid);
            return `agent pids ${agents.join(', ')} and HAProxy pids ${haproxies.join(', ') || 'none running'}${waited(i)}`;
          }
        }
        await sleep(100);
      }
      return `nothing of kind ${kind} ran within ${TARGET_POLLS} polls`;
    },
    async settle(polls) {
      let last = '';
      for (let i = 0; i < polls; i++) {
        const waiting: string[] = [];
        for (const lb of lbs) {
          const shown = await call('GET', `/v2/lbaas/loadbalancers/${lb.id}`).catch((err: Error) => ({ status: 0, body: err.message }));
          const status = shown.body?.loadbalancer?.provisioning_status;
          if (status !== 'ACTIVE') waiting.push(`${lb.id} is ${status ?? JSON.stringify(shown.body)}`);
          const res = await httpGet(lb.url, 1000).catch(() => null);
          if (res?.status !== 200 || res.body !== lb.backend) waiting.push(`${lb.url} does not serve`);
        }
        if (waiting.length === 0) return;
        last = waiting.join('; ');
        await sleep(250);
      }
      throw new Error(`not settled after ${polls} polls: ${last}`);
    },
    async heard(polls) {
      let reporting = 0;
      for (let i = 0; i < polls; i++) {
        const live = (await amphorae()).length;
        reporting = (await call('GET', '/v2/fulcrum/health/managers')).body?.amphorae?.reporting ?? 0;
        if (reporting >= live) return;
        await sleep(250);
      }
      throw new Error(`the health manager heard ${reporting} amphorae after ${polls} polls`);
    },
    async problems() {
      const problems: string[] = [];
      const live = await amphorae();
      for (const lb of lbs) {
        const status = (await call('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body?.loadbalancer?.provisioning_status;
        if (status !== 'ACTIVE') problems.push(`LB ${lb.id} is ${status}`);
        const allocated = live.filter((a) => a.loadbalancer_id === lb.id && a.status === 'ALLOCATED');
        if (allocated.length !== 1) problems.push(`LB ${lb.id} has ${allocated.length} ALLOCATED amphorae, not 1`);
      }
      for (const a of live) if (a.status !== 'ALLOCATED') problems.push(`amphora ${a.id} (LB ${a.loadbalancer_id}) is ${a.status}`);
      const liveIds = new Set(live.map((a) => a.id));
      const agents = agentsOf(runDir);
      if (agents.length !== 1) problems.push(`${agents.length} agents run (${agents.join(', ')}), not 1`);
      for (const p of processesUnder(runDir)) {
        const id = p.argv.map((a) => (a.startsWith(runDir + '/') ? a.slice(runDir.length + 1).split('/')[0] : null)).find((x) => x);
        if (!id || !liveIds.has(id)) problems.push(`orphan process ${p.pid} (${p.argv.join(' ')}): amphora ${id} is not live`);
        else if (!existsSync(join(runDir, id))) problems.push(`orphan process ${p.pid}: the run directory of ${id} is gone`);
        // The master an agent adopted after a restart is no child of it: it is the one its pid file names.
        else if (p.pid !== readPid(join(runDir, id, 'haproxy.pid')) && parentOf(p.pid) !== agents[0] && !haproxyOf(id).slice(0, 1).includes(parentOf(p.pid) ?? -1)) {
          problems.push(`process ${p.pid} of ${id} is neither the agent's child, its pid file's master nor its master's worker`);
        }
      }
      for (const a of live) {
        const pids = haproxyOf(a.id);
        if (pids.length === 0) problems.push(`amphora ${a.id} has no HAProxy running`);
        const master = readPid(join(runDir, a.id, 'haproxy.pid'));
        const masters = pids.filter((pid) => parentOf(pid) !== master);
        if (masters.length !== 1) problems.push(`amphora ${a.id} has ${masters.length} HAProxy masters (${masters.join(', ')})`);
      }
      if (existsSync(runDir)) for (const dir of readdirSync(runDir)) if (!liveIds.has(dir)) problems.push(`run directory of amphora ${dir}, which is not live, is left`);
      return problems;
    },
    close,
  };
  return install;
}
