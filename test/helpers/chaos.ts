// The chaos harness shared by test/e2e/chaos*.test.ts and bench/chaos.ts: a real `fulcrum serve`
// (heartbeats and automatic failover on) on the process compute driver (real HAProxy on loopback
// VIPs) or the netns one (root: a namespace per amphora, keepalived pairs), a few load balancers,
// a bounded prober per VIP, seeded failures of the data plane, and the final consistency check of
// the install (statuses, amphora rows, processes; namespaces, links and addresses on netns).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentOf } from '../../src/agent/process-table.ts';
import { agentsOf, daemonMaster, daemonProcesses, kill, processesUnder, topProcesses } from './chaos-processes.ts';
import { startNetnsChaosPlane, type NetnsChaosPlane } from './chaos-netns.ts';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from './data-plane.ts';
import { deleteAmphoraNamespace, httpGet } from './netns.ts';
import { startFulcrum, type FulcrumProcess } from './processes.ts';

/** Polls of 100 ms for a round's target to run again before it gives up on it. */
const TARGET_POLLS = 300;

export type ChaosDriver = 'process' | 'netns';
export type Topology = 'SINGLE' | 'ACTIVE_STANDBY';

/** What a round can break, per compute driver. */
export const FAILURE_KINDS = {
  process: ['haproxy', 'agent', 'agent+haproxy'],
  netns: ['haproxy', 'keepalived', 'agent', 'namespace'],
} as const satisfies Record<ChaosDriver, readonly string[]>;
export type FailureKind = (typeof FAILURE_KINDS)[ChaosDriver][number];

export interface ChaosOptions {
  /** Default `process`; `netns` needs root. */
  driver?: ChaosDriver;
  /** One load balancer per entry; ACTIVE_STANDBY only on netns. */
  topologies: Topology[];
  env?: Record<string, string>;
}

export interface ChaosLb {
  id: string;
  url: string;
  vip: string;
  backend: string;
  topology: Topology;
}

export interface AmphoraView {
  id: string;
  loadbalancer_id: string | null;
  status: string;
  role: string | null;
  compute_id: string | null;
  vrrp_ip: string | null;
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

  /** The runs of failed requests sent in [from, to): when each began and ended, and its requests. */
  failures(from: number, to: number): { from: number; to: number; failed: number }[] {
    const runs: { from: number; to: number; failed: number }[] = [];
    let open: { from: number; to: number; failed: number } | null = null;
    for (const s of this.samples) {
      if (s.at < from || s.at >= to) continue;
      if (s.ok) open = null;
      else if (open) {
        open.to = s.at;
        open.failed++;
      } else runs.push((open = { from: s.at, to: s.at, failed: 1 }));
    }
    return runs;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

export interface ChaosInstall {
  driver: ChaosDriver;
  /** The failures a round can pick from on this driver. */
  kinds: readonly FailureKind[];
  dataDir: string;
  agentDir: string;
  runDir: string;
  serve: FulcrumProcess;
  base: string;
  lbs: ChaosLb[];
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** The live amphorae (the operator API hides DELETED ones). */
  amphorae(): Promise<AmphoraView[]>;
  /** The load balancers a round of `kind` can hit (keepalived runs in ACTIVE_STANDBY pairs only). */
  victims(kind: FailureKind): ChaosLb[];
  /**
   * Breaks `kind` (for the per-amphora kinds, the victim's amphora that `pick` in [0, 1) chooses
   * among its ALLOCATED ones); what was broken, for the log.
   */
  inflict(kind: FailureKind, victim: ChaosLb, pick?: number): Promise<string>;
  /**
   * Every VIP answers with its backend, every LB is ACTIVE with its whole set of ALLOCATED
   * amphorae, each running its daemons; polled at most `polls` times.
   */
  settle(polls: number): Promise<void>;
  /**
   * The health manager has heard every live amphora (polled at most `polls` times): before that
   * it monitors none of them, so a failure would go unjudged.
   */
  heard(polls: number): Promise<void>;
  /** What is wrong with the install now (empty when consistent): settle's conditions and leftovers. */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}

/** Where the members live and what else a driver may leave behind. */
interface ChaosPlane {
  env: Record<string, string>;
  subnet: { cidr: string; gateway_ip?: string };
  /** Starts the member server answering `name`; its address and port. */
  member(index: number, name: string): Promise<{ address: string; port: number }>;
  leftovers(live: AmphoraView[], vips: Map<string, string>): Promise<string[]>;
  close(): Promise<void>;
}

function processPlane(): ChaosPlane {
  const backends: Backend[] = [];
  return {
    env: { FULCRUM_COMPUTE_DRIVER: 'process' },
    subnet: { cidr: `127.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24` },
    async member(_index, name) {
      const backend = await startBackend(name);
      backends.push(backend);
      return { address: '127.0.0.1', port: backend.port };
    },
    async leftovers() {
      return [];
    },
    async close() {
      await Promise.all(backends.map((b) => b.close()));
    },
  };
}

/** Amphorae a load balancer of each topology has when whole. */
export const AMPHORAE_OF: Record<Topology, number> = { SINGLE: 1, ACTIVE_STANDBY: 2 };

export async function startChaosInstall(name: string, options: ChaosOptions): Promise<ChaosInstall> {
  const driver = options.driver ?? 'process';
  if (driver === 'process' && options.topologies.includes('ACTIVE_STANDBY')) throw new Error('ACTIVE_STANDBY needs the netns compute driver');
  const dataDir = mkdtempSync(join(tmpdir(), `fulcrum-${name}-`));
  const agentDir = join(dataDir, 'agent');
  const runDir = join(agentDir, 'run');
  let plane: ChaosPlane | NetnsChaosPlane | null = null;
  let serve: FulcrumProcess | null = null;
  const close = async () => {
    const failures: string[] = [];
    await serve?.stop('SIGKILL');
    stopLocalDataPlane(dataDir);
    // Anything still running from this install (a HAProxy whose pid file was already rewritten).
    for (const p of processesUnder(runDir)) kill(p.pid);
    for (const pid of agentsOf(runDir)) kill(pid);
    await plane?.close().catch((err: Error) => failures.push(err.message));
    rmSync(dataDir, { recursive: true, force: true });
    if (failures.length > 0) throw new Error(`chaos install teardown: ${failures.join('; ')}`);
  };
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
  const created = async (what: string, res: Promise<{ status: number; body: any }>) => {
    const { status, body } = await res;
    if (status !== 201) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
    return body;
  };
  try {
    plane = driver === 'netns' ? await startNetnsChaosPlane() : processPlane();
    serve = startFulcrum(['serve'], {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_HEALTH_PORT: String(await freePort()),
      FULCRUM_DEFAULT_PROVIDER: 'amphora',
      FULCRUM_NETWORK_DRIVER: 'local',
      FULCRUM_JOB_POLL_MS: '50',
      FULCRUM_AUTO_FAILOVER: 'true',
      ...plane.env,
      ...options.env,
    });
    base = await serve.address;
    const network = await created('network', call('POST', '/v2/fulcrum/networks', { network: { name } }));
    const subnet = await created('subnet', call('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.network.id, ...plane.subnet } }));
    // A flavor per topology on netns, where both run side by side.
    const flavors = new Map<Topology, string>();
    if (driver === 'netns') {
      for (const topology of new Set(options.topologies)) {
        const profile = await created('flavor profile', call('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: `${name}-${topology}`, provider_name: 'amphora', flavor_data: JSON.stringify({ loadbalancer_topology: topology }) } }));
        const flavor = await created('flavor', call('POST', '/v2/lbaas/flavors', { flavor: { name: `${name}-${topology}`, flavor_profile_id: profile.flavorprofile.id } }));
        flavors.set(topology, flavor.flavor.id);
      }
    }
    for (const [i, topology] of options.topologies.entries()) {
      const backend = `${name}-be-${i}`;
      const member = await plane.member(i, backend);
      const body = await created(
        'load balancer',
        call('POST', '/v2/lbaas/loadbalancers', {
          loadbalancer: {
            name: `${name}-${i}`,
            vip_subnet_id: subnet.subnet.id,
            ...(flavors.has(topology) ? { flavor_id: flavors.get(topology) } : {}),
            listeners: [
              {
                protocol: 'HTTP',
                protocol_port: 8080,
                default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: member.address, protocol_port: member.port, subnet_id: subnet.subnet.id }] },
              },
            ],
          },
        }),
      );
      const vip: string = body.loadbalancer.vip_address;
      lbs.push({ id: body.loadbalancer.id, url: `http://${vip}:8080/`, vip, backend, topology });
    }
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  const livePlane = plane;
  const liveServe = serve;

  const amphorae = async (): Promise<AmphoraView[]> => {
    const res = await call('GET', '/v2/octavia/amphorae');
    if (res.status !== 200) throw new Error(`amphorae: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.amphorae;
  };

  /** The victim's ALLOCATED amphora that `pick` chooses, in a stable order. */
  const amphoraOf = async (victim: ChaosLb, pick: number) => {
    const mine = (await amphorae()).filter((a) => a.loadbalancer_id === victim.id && a.status === 'ALLOCATED').sort((a, b) => a.id.localeCompare(b.id));
    return mine.length === 0 ? null : mine[Math.min(mine.length - 1, Math.floor(pick * mine.length))];
  };

  /** What keeps the install from being settled now: statuses, amphora sets, daemons, traffic. */
  const unsettled = async (live: AmphoraView[]): Promise<string[]> => {
    const waiting: string[] = [];
    for (const lb of lbs) {
      const shown = await call('GET', `/v2/lbaas/loadbalancers/${lb.id}`).catch((err: Error) => ({ status: 0, body: err.message }));
      const status = shown.body?.loadbalancer?.provisioning_status;
      if (status !== 'ACTIVE') waiting.push(`LB ${lb.id} is ${status ?? JSON.stringify(shown.body)}`);
      const allocated = live.filter((a) => a.loadbalancer_id === lb.id && a.status === 'ALLOCATED');
      if (allocated.length !== AMPHORAE_OF[lb.topology]) waiting.push(`LB ${lb.id} has ${allocated.length} ALLOCATED amphorae, not ${AMPHORAE_OF[lb.topology]}`);
      else if (lb.topology === 'ACTIVE_STANDBY' && allocated.map((a) => a.role).sort().join() !== 'BACKUP,MASTER') waiting.push(`LB ${lb.id} has roles ${allocated.map((a) => a.role).join(', ')}`);
      const res = await httpGet(lb.url, 1000).catch(() => null);
      if (res?.status !== 200 || res.body !== lb.backend) waiting.push(`${lb.url} does not serve`);
    }
    for (const a of live) {
      if (a.status !== 'ALLOCATED') waiting.push(`amphora ${a.id} (LB ${a.loadbalancer_id}) is ${a.status}`);
      if (daemonMaster(runDir, a.id, 'haproxy') === null) waiting.push(`amphora ${a.id} has no HAProxy running`);
      const pair = lbs.find((lb) => lb.id === a.loadbalancer_id)?.topology === 'ACTIVE_STANDBY';
      if (pair && daemonMaster(runDir, a.id, 'keepalived') === null) waiting.push(`amphora ${a.id} has no keepalived running`);
    }
    return waiting;
  };

  const install: ChaosInstall = {
    driver,
    kinds: FAILURE_KINDS[driver],
    dataDir,
    agentDir,
    runDir,
    serve: liveServe,
    base,
    lbs,
    call,
    amphorae,
    victims(kind) {
      return kind === 'keepalived' ? lbs.filter((lb) => lb.topology === 'ACTIVE_STANDBY') : lbs;
    },
    async inflict(kind, victim, pick = 0) {
      // A round breaks something: it waits (bounded) until what it breaks runs again.
      const waited = (i: number) => (i === 0 ? '' : ` after ${i} polls`);
      for (let i = 0; i < TARGET_POLLS; i++) {
        if (kind === 'haproxy' || kind === 'keepalived') {
          const amphora = await amphoraOf(victim, pick);
          const pids = amphora ? daemonProcesses(runDir, amphora.id, kind) : [];
          if (amphora && pids.length > 0) {
            // Every process of it: the workers of a killed HAProxy master would serve on a while.
            for (const pid of pids) kill(pid);
            return `${kind} of amphora ${amphora.id} (${amphora.role}, LB ${victim.id}): pids ${pids.join(', ')}${waited(i)}`;
          }
        } else if (kind === 'namespace') {
          const amphora = await amphoraOf(victim, pick);
          if (amphora?.compute_id && daemonMaster(runDir, amphora.id, 'haproxy') !== null) {
            const netns = await deleteAmphoraNamespace(amphora.compute_id);
            return `namespace ${netns} of amphora ${amphora.id} (${amphora.role}, LB ${victim.id}) deleted${waited(i)}`;
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
      let last: string[] = [];
      for (let i = 0; i < polls; i++) {
        last = await unsettled(await amphorae().catch(() => []));
        if (last.length === 0) return;
        await sleep(250);
      }
      throw new Error(`not settled after ${polls} polls: ${last.join('; ')}`);
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
      const live = await amphorae();
      const problems = await unsettled(live);
      const liveIds = new Set(live.map((a) => a.id));
      const agents = agentsOf(runDir);
      if (agents.length !== 1) problems.push(`${agents.length} agents run (${agents.join(', ')}), not 1`);
      const daemons = new Map(live.map((a) => [a.id, { haproxy: daemonProcesses(runDir, a.id, 'haproxy'), keepalived: daemonProcesses(runDir, a.id, 'keepalived') }]));
      for (const p of processesUnder(runDir)) {
        const id = p.argv.map((a) => (a.startsWith(runDir + '/') ? a.slice(runDir.length + 1).split('/')[0] : null)).find((x) => x);
        const own = id ? daemons.get(id) : undefined;
        if (!id || !own) problems.push(`orphan process ${p.pid} (${p.argv.join(' ')}): amphora ${id} is not live`);
        else if (!existsSync(join(runDir, id))) problems.push(`orphan process ${p.pid}: the run directory of ${id} is gone`);
        // A daemon an agent adopted after a restart is no child of it: it is the one its pid file names.
        else if (![daemonMaster(runDir, id, 'haproxy'), daemonMaster(runDir, id, 'keepalived')].includes(p.pid) && ![agents[0], ...own.haproxy, ...own.keepalived].includes(parentOf(p.pid) ?? -1)) {
          problems.push(`process ${p.pid} of ${id} is neither the agent's child, a pid file's daemon nor a child of one`);
        }
      }
      for (const a of live) {
        const own = daemons.get(a.id)!;
        const masters = topProcesses(own.haproxy, daemonMaster(runDir, a.id, 'haproxy'));
        if (masters.length !== 1) problems.push(`amphora ${a.id} has ${masters.length} HAProxy masters (${masters.join(', ')})`);
        const pair = lbs.find((lb) => lb.id === a.loadbalancer_id)?.topology === 'ACTIVE_STANDBY';
        const keepaliveds = topProcesses(own.keepalived, daemonMaster(runDir, a.id, 'keepalived'));
        if (keepaliveds.length !== (pair ? 1 : 0)) problems.push(`amphora ${a.id} has ${keepaliveds.length} keepalived parents (${keepaliveds.join(', ')})`);
      }
      // Its files say how far a registration or a removal got.
      const files = (dir: string) => {
        try {
          return readdirSync(join(runDir, dir)).join(', ');
        } catch {
          return 'gone meanwhile';
        }
      };
      if (existsSync(runDir)) for (const dir of readdirSync(runDir)) if (!liveIds.has(dir)) problems.push(`run directory of amphora ${dir}, which is not live, is left (files: ${files(dir)})`);
      problems.push(...(await livePlane.leftovers(live, new Map(lbs.map((lb) => [lb.id, lb.vip])))));
      return problems;
    },
    close,
  };
  return install;
}

export interface ChaosRound {
  kind: FailureKind;
  victim: ChaosLb;
  /** Which of the victim's amphorae (see `inflict`). */
  pick: number;
  /** The pause after the round, 0.2-2 s: failures land on installs in every state of recovery. */
  pauseMs: number;
}

/** The next seeded round: the same seed gives the same rounds on the same install. */
export function nextRound(install: ChaosInstall, random: () => number): ChaosRound {
  const kind = install.kinds[Math.floor(random() * install.kinds.length)];
  const victims = install.victims(kind);
  const victim = victims[Math.floor(random() * victims.length)];
  const pauseMs = 200 + Math.floor(random() * 1800);
  return { kind, victim, pick: random(), pauseMs };
}

/** Whether a round of this kind on this victim must make its VIP fail some requests. */
export function interruptsService(round: Pick<ChaosRound, 'kind' | 'victim'>): boolean {
  if (round.kind === 'agent+haproxy') return true;
  return round.victim.topology === 'SINGLE' && (round.kind === 'haproxy' || round.kind === 'namespace');
}
