// A load balancer's access log, read from the agents of its amphorae and merged by time: an
// ACTIVE_STANDBY pair answers with both amphorae's lines (the standby's are few: it carries
// traffic only after a failover). An amphora whose agent does not answer is left out rather
// than failing the whole answer; its lines come back with it. Lines of an amphora that was
// replaced (failover) went with it: the log lives where HAProxy ran.
import type { Db } from '../../db/database.ts';
import type { Logger } from '../../observability/logger.ts';
import type { AmphoraAgents } from './amphora-agents.ts';

export interface LoadBalancerLogLine {
  time: string;
  amphora_id: string;
  listener_id: string;
  message: string;
}

/** Per amphora, the sequence number of the last line a follower has seen. */
export type LogCursor = Map<string, number>;

export interface LogRead {
  sinceMs?: number;
  limit: number;
  /** Follow mode: only lines after these; updated in place. */
  cursor?: LogCursor;
}

interface Source {
  id: string;
  agent_url: string;
}

function liveAmphorae(db: Db, loadBalancerId: string): Promise<Source[]> {
  return db
    .selectFrom('amphora')
    .select(['id', 'agent_url'])
    .where('load_balancer_id', '=', loadBalancerId)
    .where('status', 'not in', ['DELETED', 'ERROR'])
    .where('agent_url', 'is not', null)
    .where('run_dir', 'is not', null)
    .execute() as Promise<Source[]>;
}

type Sequenced = LoadBalancerLogLine & { seq: number };

/** Oldest first; equal times keep a stable order (amphora, then its own order). */
function byTime(a: Sequenced, b: Sequenced): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.amphora_id < b.amphora_id ? -1 : a.amphora_id > b.amphora_id ? 1 : a.seq - b.seq;
}

/** The amphorae's lines as one log: merged by time, the newest `limit`, oldest first. */
export function mergeByTime(perAmphora: Sequenced[][], limit: number): LoadBalancerLogLine[] {
  return perAmphora
    .flat()
    .sort(byTime)
    .slice(-limit)
    .map(({ time, amphora_id, listener_id, message }) => ({ time, amphora_id, listener_id, message }));
}

/** The newest `limit` lines of the load balancer (after the cursor, when following), oldest first. */
export async function readLoadBalancerLogs(db: Db, agents: AmphoraAgents, loadBalancerId: string, read: LogRead, log: Logger): Promise<LoadBalancerLogLine[]> {
  const sources = await liveAmphorae(db, loadBalancerId);
  const answers = await Promise.all(
    sources.map(async (amphora) => {
      const after = read.cursor?.get(amphora.id);
      try {
        const answer = await agents.logs(amphora.agent_url, amphora.id, { after, sinceMs: read.sinceMs, limit: read.limit });
        if (read.cursor) read.cursor.set(amphora.id, answer.logs.at(-1)?.seq ?? (after === undefined ? answer.last_seq : after));
        return answer.logs.map((l) => ({ time: l.time, amphora_id: amphora.id, listener_id: l.listener_id, message: l.message, seq: l.seq }));
      } catch (err) {
        log.warn({ err, amphora_id: amphora.id, load_balancer_id: loadBalancerId }, 'cannot read the access log of an amphora');
        return [];
      }
    }),
  );
  return mergeByTime(answers, read.limit);
}
