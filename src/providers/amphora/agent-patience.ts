// A failover runs because something broke, and often on a host whose agent is being restarted
// at that very moment (by the controller's watchdog, or a host coming back). A step that fails
// because the agent does not answer would burn one of the job's attempts per retry and, with
// the agent gone for longer than the backoffs add up to, end the load balancer in ERROR for
// nothing. So the failover's calls to an agent that may be coming back are repeated, within a
// bound, inside the step: the job keeps its lease and its attempts, and an agent that stays away
// past the bound still fails the step as before.
import { agentMayReturn } from '../../amphora/agent-client.ts';

/** How long one call waits for its agent to come back. */
export const AGENT_RETURN_WAIT_MS = 60_000;
const POLL_MS = 250;

export interface AgentPatience {
  /** How long a call waits for the agent; 0: not at all. */
  waitMs: number;
  signal?: AbortSignal;
  /** Told once per call that waits, with the error that made it wait. */
  onWait?: (err: unknown) => void;
}

/**
 * Runs `call`, again every POLL_MS while it fails with an agent that may come back (or, with
 * `mayReturn`, another failure that passes), until `waitMs` passed.
 */
export async function whileAgentReturns<T>(call: () => Promise<T>, patience: AgentPatience, mayReturn: (err: unknown) => boolean = agentMayReturn): Promise<T> {
  const deadline = Date.now() + patience.waitMs;
  let told = false;
  for (;;) {
    patience.signal?.throwIfAborted();
    try {
      return await call();
    } catch (err) {
      if (!mayReturn(err) || Date.now() + POLL_MS > deadline) throw err;
      if (!told) patience.onWait?.(err);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
