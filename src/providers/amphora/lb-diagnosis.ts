// Where a load balancer's chain breaks, decided from facts already gathered (the API row, its
// jobs, each amphora's record, its inventory host, what its agent answered, its last
// heartbeat): no I/O here, so
// every verdict is unit-tested. Checks run in the order a request depends on them; a check
// that cannot be judged because an earlier link failed is `skipped`, never guessed.
import type { AmphoraStatus } from '../../agent/amphora.ts';
import type { ProxyStat } from '../../health/operating-status.ts';

export type CheckStatus = 'ok' | 'failed' | 'skipped';

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

export interface LbFacts {
  id: string;
  provisioning_status: string;
  operating_status: string;
  topology: string;
}

export interface JobFacts {
  id: string;
  kind: string;
  state: string;
  last_error: string | null;
}

/** The inventory host an amphora was placed on, as the health managers last judged it. */
export interface HostFacts {
  name: string;
  admin_state: string;
  operating_status: string;
  /** When a health manager last reached its agent (null: never). */
  lastSeenAt: Date | null;
}

/** What the agent answered for one amphora, or why it did not. */
export type ProbeFacts =
  | { reachable: true; elapsedMs: number; status: AmphoraStatus; servers: ProxyStat[] | null; serversError: string | null }
  | { reachable: false; error: string };

export interface AmphoraFacts {
  id: string;
  role: string | null;
  status: string;
  compute_driver: string;
  compute_id: string | null;
  agent_url: string | null;
  fault: string | null;
  /** The host recorded on the amphora (null: none, the compute driver placed it on its own). */
  host_id: string | null;
  /** That host's inventory row; null when the row is gone. */
  host: HostFacts | null;
  /** Checksum of the configuration the controller last pushed (null: none recorded). */
  pushedConfigSha256: string | null;
  /** The newest heartbeat the health managers stored (null: none). */
  heartbeat: { lastSeen: Date; haproxyRunning: boolean; fault: string | null } | null;
  /** Whether this amphora's agent sends heartbeats at all (the noop compute driver's do not). */
  heartbeatsExpected: boolean;
  /** Null: the amphora has no agent to ask. */
  probe: ProbeFacts | null;
}

export interface DiagnosisInput {
  lb: LbFacts;
  /** Newest first. */
  jobs: JobFacts[];
  amphorae: AmphoraFacts[];
  now: Date;
  heartbeatTimeoutMs: number;
}

export interface Diagnosis {
  loadbalancer: Check[];
  amphorae: { id: string; checks: Check[] }[];
  /** `loadbalancer:<check>` or `amphora:<id>:<check>` of the first failed check; null: nothing failed. */
  broken_at: string | null;
}

const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
const failed = (name: string, detail: string): Check => ({ name, status: 'failed', detail });
const skipped = (name: string, detail: string): Check => ({ name, status: 'skipped', detail });

const EXPECTED_AMPHORAE: Record<string, number> = { SINGLE: 1, ACTIVE_STANDBY: 2 };

function provisioningCheck(lb: LbFacts): Check {
  if (lb.provisioning_status === 'ERROR') return failed('provisioning', 'the load balancer is in ERROR: its last change did not complete');
  if (lb.provisioning_status.startsWith('PENDING_')) return ok('provisioning', `${lb.provisioning_status}: a change is in progress`);
  return ok('provisioning', lb.provisioning_status);
}

function lastJobCheck(jobs: JobFacts[]): Check {
  const last = jobs[0];
  if (!last) return skipped('last_job', 'no job recorded for this load balancer');
  const what = `job ${last.id} (${last.kind}) ${last.state}`;
  return last.state === 'failed' ? failed('last_job', `${what}: ${last.last_error ?? 'no reason recorded'}`) : ok('last_job', what);
}

function amphoraCountCheck(lb: LbFacts, amphorae: AmphoraFacts[]): Check {
  const expected = EXPECTED_AMPHORAE[lb.topology];
  const detail = `${amphorae.length} amphora(e); ${lb.topology} needs ${expected ?? 'an unknown number'}`;
  if (lb.provisioning_status === 'PENDING_CREATE' && amphorae.length === 0) return skipped('amphorae', 'the amphorae are still being created');
  // One in ERROR is named by its own record check.
  return expected !== undefined && amphorae.length < expected ? failed('amphorae', detail) : ok('amphorae', detail);
}

/** ACTIVE_STANDBY only: exactly one of the pair's reachable keepalived must hold MASTER. */
function vrrpPairCheck(lb: LbFacts, amphorae: AmphoraFacts[]): Check {
  if (lb.topology !== 'ACTIVE_STANDBY') return skipped('vrrp_pair', `${lb.topology}: no VRRP`);
  const states = amphorae.flatMap((a) => (a.probe?.reachable ? [{ id: a.id, state: a.probe.status.keepalived.vrrp_state }] : []));
  if (states.length === 0) return skipped('vrrp_pair', 'no agent of the pair answered');
  const masters = states.filter((s) => s.state === 'MASTER');
  const detail = states.map((s) => `${s.id}=${s.state ?? 'unknown'}`).join(', ');
  if (masters.length === 1) return ok('vrrp_pair', detail);
  return failed('vrrp_pair', `${masters.length === 0 ? 'no amphora holds the VIP' : 'both amphorae claim MASTER (split brain)'}: ${detail}`);
}

function recordCheck(a: AmphoraFacts): Check {
  const what = `${a.status}${a.role ? ` ${a.role}` : ''}`;
  return a.status === 'ALLOCATED' ? ok('record', what) : failed('record', `${what}${a.fault ? `: ${a.fault}` : ''}`);
}

function computeCheck(a: AmphoraFacts): Check {
  if (a.compute_id === null) return failed('compute', `${a.compute_driver}: no compute instance recorded`);
  return ok('compute', `${a.compute_driver} instance ${a.compute_id}`);
}

/**
 * The host comes before its agent: an OFFLINE host explains an agent that does not answer, and
 * every amphora on it. ONLINE with no contact within the timeout is an old verdict: the host went
 * silent since (a health manager marks it OFFLINE at its next probe), or no manager watches it.
 */
function hostCheck(a: AmphoraFacts, now: Date, timeoutMs: number): Check {
  if (a.host_id === null) return skipped('host', `no inventory host recorded (the ${a.compute_driver} compute driver places amphorae itself)`);
  if (a.host === null) return failed('host', `host ${a.host_id} is not in the inventory`);
  const h = a.host;
  const ageMs = h.lastSeenAt === null ? null : Math.max(0, now.getTime() - h.lastSeenAt.getTime());
  const heard = ageMs === null ? 'its agent was never reached' : `its agent last reached ${ageMs} ms ago`;
  const what = `${h.name} (${a.host_id}), ${h.admin_state}`;
  if (h.operating_status !== 'ONLINE') return failed('host', `${what}, ${h.operating_status}: ${heard} (timeout ${timeoutMs} ms)`);
  if (ageMs === null || ageMs > timeoutMs) return failed('host', `${what}, ONLINE as last judged, but ${heard} (timeout ${timeoutMs} ms): silent, or no health manager watches it`);
  return ok('host', `${what}, ONLINE, ${heard}`);
}

function agentCheck(a: AmphoraFacts): Check {
  if (a.probe === null) return failed('agent', 'no agent recorded for this amphora');
  if (!a.probe.reachable) return failed('agent', a.probe.error);
  return ok('agent', `${a.agent_url} answered in ${a.probe.elapsedMs} ms`);
}

function haproxyCheck(a: AmphoraFacts): Check {
  if (!a.probe?.reachable) return skipped('haproxy', 'the agent did not answer');
  const h = a.probe.status.haproxy;
  const supervision = a.probe.status.supervision.haproxy;
  if (!h.running) return failed('haproxy', `not running (supervision: ${supervision.state}, ${supervision.restarts} restart(s))`);
  const uptime = h.uptime_s === null ? 'uptime unknown' : `up ${h.uptime_s} s`;
  return ok('haproxy', `master pid ${h.master_pid}, ${uptime}, ${h.workers.length} worker(s)`);
}

function configCheck(a: AmphoraFacts): Check {
  if (!a.probe?.reachable) return skipped('config', 'the agent did not answer');
  const running = a.probe.status.haproxy.config_sha256;
  if (a.pushedConfigSha256 === null) return skipped('config', 'no pushed configuration recorded (a resync records one)');
  if (running === null) return failed('config', `the agent has no configuration; pushed sha256 ${a.pushedConfigSha256}`);
  if (running !== a.pushedConfigSha256) return failed('config', `drift: running sha256 ${running}, pushed sha256 ${a.pushedConfigSha256}`);
  return ok('config', `sha256 ${running}`);
}

/** Servers HAProxy's health checks hold DOWN; MAINT (administratively down) is no fault. */
function serversCheck(a: AmphoraFacts): Check {
  if (!a.probe?.reachable) return skipped('servers', 'the agent did not answer');
  if (!a.probe.status.haproxy.running) return skipped('servers', 'haproxy is not running');
  if (a.probe.servers === null) return failed('servers', `no runtime state: ${a.probe.serversError ?? 'unknown error'}`);
  const servers = a.probe.servers.filter((s) => s.server !== 'FRONTEND' && s.server !== 'BACKEND');
  const down = servers.filter((s) => s.status.toUpperCase().startsWith('DOWN'));
  const counts = new Map<string, number>();
  for (const s of servers) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const summary = servers.length === 0 ? 'no servers' : [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  if (down.length > 0) return failed('servers', `${summary}; down: ${down.map((s) => `${s.proxy}/${s.server}`).join(', ')}`);
  return ok('servers', summary);
}

function heartbeatCheck(a: AmphoraFacts, now: Date, timeoutMs: number): Check {
  if (!a.heartbeatsExpected) return skipped('heartbeat', `the ${a.compute_driver} compute driver sends no heartbeats`);
  if (a.heartbeat === null) return failed('heartbeat', 'no heartbeat received');
  const ageMs = Math.max(0, now.getTime() - a.heartbeat.lastSeen.getTime());
  const what = `last ${ageMs} ms ago (timeout ${timeoutMs} ms)`;
  if (ageMs > timeoutMs) return failed('heartbeat', `silent: ${what}`);
  if (a.heartbeat.fault) return failed('heartbeat', `${what}, reports: ${a.heartbeat.fault}`);
  return ok('heartbeat', `${what}, haproxy ${a.heartbeat.haproxyRunning ? 'running' : 'not running'}`);
}

function vrrpCheck(a: AmphoraFacts, topology: string): Check {
  if (topology !== 'ACTIVE_STANDBY') return skipped('vrrp', `${topology}: no VRRP`);
  if (!a.probe?.reachable) return skipped('vrrp', 'the agent did not answer');
  const k = a.probe.status.keepalived;
  if (!k.running) return failed('vrrp', 'keepalived is not running');
  if (k.vrrp_state === null) return failed('vrrp', 'keepalived reported no VRRP state');
  if (k.vrrp_state === 'FAULT' || k.vrrp_state === 'STOP') return failed('vrrp', `VRRP state ${k.vrrp_state}`);
  return ok('vrrp', `VRRP state ${k.vrrp_state}, role recorded ${a.role ?? 'none'}`);
}

export function diagnose(input: DiagnosisInput): Diagnosis {
  const loadbalancer = [provisioningCheck(input.lb), lastJobCheck(input.jobs), amphoraCountCheck(input.lb, input.amphorae), vrrpPairCheck(input.lb, input.amphorae)];
  const amphorae = input.amphorae.map((a) => ({
    id: a.id,
    checks: [
      recordCheck(a),
      computeCheck(a),
      hostCheck(a, input.now, input.heartbeatTimeoutMs),
      agentCheck(a),
      haproxyCheck(a),
      configCheck(a),
      serversCheck(a),
      heartbeatCheck(a, input.now, input.heartbeatTimeoutMs),
      vrrpCheck(a, input.lb.topology),
    ],
  }));
  // The pair's VRRP check comes last: an amphora's own broken link explains a pair without a
  // MASTER better than the pair does.
  const order = [
    ...loadbalancer.filter((c) => c.name !== 'vrrp_pair').map((c) => ({ at: `loadbalancer:${c.name}`, c })),
    ...amphorae.flatMap((a) => a.checks.map((c) => ({ at: `amphora:${a.id}:${c.name}`, c }))),
    ...loadbalancer.filter((c) => c.name === 'vrrp_pair').map((c) => ({ at: `loadbalancer:${c.name}`, c })),
  ];
  return { loadbalancer, amphorae, broken_at: order.find((o) => o.c.status === 'failed')?.at ?? null };
}
