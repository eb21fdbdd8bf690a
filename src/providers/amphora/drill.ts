// The failover drill (an operator API beyond Octavia): the amphora serving a load balancer's
// VIP has its keepalived and haproxy killed for real, as in a crash, while a prober inside
// Fulcrum sends a request to the VIP every 10 ms; the job's result is the outage it saw and the
// requests that failed. The drill repairs nothing itself: what brings the VIP back is what
// would in a real failure (the BACKUP's VRRP takeover, the agent restarting its daemons, the
// health manager's failover). It runs once (a retry would kill again) and locks nothing.
import type { Db } from '../../db/database.ts';
import { PermanentFailure, type FlowDefinition } from '../../flows/flow.ts';
import type { AmphoraAgents } from './amphora-agents.ts';
import { drillOutcome, drillSettled, type DrillOutcome } from './drill-outcome.ts';
import { DEFAULT_PROBER, VipProber, type ProbeTarget } from './vip-prober.ts';

export const FAILOVER_DRILL = 'failover-drill';
const STEP = 'drill:kill-and-probe';

export interface DrillJob {
  loadBalancerId: string;
}

export interface DrillResult extends DrillOutcome {
  amphoraId: string;
  role: string | null;
  target: ProbeTarget;
  /** Wall-clock time of the kill. */
  killedAt: string;
}

export interface DrillTiming {
  /** Successes wanted before the kill. */
  baselineProbes: number;
  /** Observe at least this long after the kill, and until this long has been all successes. */
  minObserveMs: number;
  settleMs: number;
  /** Give up (not recovered) this long after the kill. */
  recoveryTimeoutMs: number;
}

export const DEFAULT_DRILL_TIMING: DrillTiming = { baselineProbes: 20, minObserveMs: 1500, settleMs: 1000, recoveryTimeoutMs: 30_000 };

interface DrillDeps {
  db: Db;
  dataPlane: { agents(): Promise<AmphoraAgents> };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What to probe: the first enabled listener on the VIP, HTTP if there is one. */
async function probeTarget(db: Db, loadBalancerId: string, vip: string): Promise<ProbeTarget> {
  const listeners = await db.selectFrom('listener').select(['protocol', 'protocol_port']).where('load_balancer_id', '=', loadBalancerId).where('admin_state_up', '=', true).where('protocol', 'in', ['HTTP', 'TCP', 'HTTPS', 'TERMINATED_HTTPS']).orderBy('protocol_port').execute();
  const chosen = listeners.find((l) => l.protocol === 'HTTP') ?? listeners[0];
  if (!chosen) throw new PermanentFailure(`load balancer ${loadBalancerId} has no enabled HTTP or TCP listener to probe`);
  return { address: vip, port: chosen.protocol_port, http: chosen.protocol === 'HTTP' };
}

/** The amphora serving the VIP: the only one, or the one keepalived gave the VIP. */
async function activeAmphora(deps: DrillDeps, loadBalancerId: string, vip: string): Promise<{ id: string; role: string | null; agent_url: string }> {
  const live = (await deps.db.selectFrom('amphora').select(['id', 'role', 'agent_url']).where('load_balancer_id', '=', loadBalancerId).where('status', '=', 'ALLOCATED').orderBy('id').execute()).filter(
    (a): a is { id: string; role: string | null; agent_url: string } => a.agent_url !== null,
  );
  if (live.length === 0) throw new PermanentFailure(`load balancer ${loadBalancerId} has no allocated amphora`);
  if (live.length === 1) return live[0];
  const agents = await deps.dataPlane.agents();
  for (const amphora of live) {
    if ((await agents.addresses(amphora.agent_url, amphora.id).catch((): string[] => [])).includes(vip)) return amphora;
  }
  throw new PermanentFailure(`no amphora of load balancer ${loadBalancerId} holds its VIP ${vip}: nothing to fail over from`);
}

export function drillFlow(deps: DrillDeps, timing: DrillTiming = DEFAULT_DRILL_TIMING): FlowDefinition<DrillJob> {
  return {
    kind: FAILOVER_DRILL,
    steps: () => [
      {
        name: STEP,
        run: async ({ payload, log }): Promise<DrillResult> => {
          const lb = await deps.db.selectFrom('load_balancer').select(['id', 'vip_address']).where('id', '=', payload.loadBalancerId).executeTakeFirst();
          if (!lb?.vip_address) throw new PermanentFailure(`load balancer ${payload.loadBalancerId} has no VIP`);
          const target = await probeTarget(deps.db, lb.id, lb.vip_address);
          const amphora = await activeAmphora(deps, lb.id, lb.vip_address);
          const prober = new VipProber(target, DEFAULT_PROBER);
          prober.start();
          try {
            const baselineDeadline = performance.now() + 10_000;
            while (prober.samples.filter((s) => s.ok).length < timing.baselineProbes) {
              if (performance.now() > baselineDeadline) throw new PermanentFailure(`the VIP ${target.address}:${target.port} does not answer: a drill needs a serving load balancer`);
              await sleep(20);
            }
            const killedAt = new Date();
            const killedAtMs = performance.now();
            await (await deps.dataPlane.agents()).crash(amphora.agent_url, amphora.id);
            log.warn({ amphora_id: amphora.id, load_balancer_id: lb.id }, 'failover drill: killed the active amphora');
            while (!drillSettled(prober.samples, killedAtMs, performance.now(), timing) && performance.now() - killedAtMs < timing.recoveryTimeoutMs) await sleep(20);
            const samples = await prober.stop();
            return { amphoraId: amphora.id, role: amphora.role, target, killedAt: killedAt.toISOString(), ...drillOutcome(samples, killedAtMs) };
          } finally {
            await prober.stop();
          }
        },
      },
    ],
    // The job keeps the reason (last_error); the load balancer was never locked.
    async onFailure() {},
  };
}

export interface DrillRecord {
  id: string;
  loadBalancerId: string | null;
  state: string;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  result: DrillResult | null;
}

/** A drill job with its result (the step's output), or undefined. */
export async function findDrill(db: Db, id: string): Promise<DrillRecord | undefined> {
  const job = await db.selectFrom('job').select(['id', 'load_balancer_id', 'state', 'last_error', 'created_at', 'finished_at']).where('id', '=', id).where('kind', '=', FAILOVER_DRILL).executeTakeFirst();
  if (!job) return undefined;
  const step = await db.selectFrom('job_step').select('output').where('job_id', '=', id).where('step', '=', STEP).executeTakeFirst();
  return {
    id: String(job.id),
    loadBalancerId: job.load_balancer_id,
    state: job.state,
    error: job.last_error,
    createdAt: job.created_at,
    finishedAt: job.finished_at,
    result: (step?.output as DrillResult | undefined) ?? null,
  };
}

/** Whether a drill of the load balancer is queued or running. */
export async function drillInProgress(db: Db, loadBalancerId: string): Promise<boolean> {
  const row = await db.selectFrom('job').select('id').where('kind', '=', FAILOVER_DRILL).where('load_balancer_id', '=', loadBalancerId).where('state', 'in', ['queued', 'running']).executeTakeFirst();
  return row !== undefined;
}
