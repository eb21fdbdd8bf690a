// The health manager's watch over the inventory hosts: each host's agent is asked whether it
// answers (as the host it should be, by its certificate) every heartbeat interval; a host not
// heard from within the heartbeat timeout becomes OFFLINE and takes no new amphorae. Its
// amphorae fall silent at the same moment and are failed over by the heartbeat detection (the
// host is their failure domain for the circuit breakers). And the drain: every amphora on a
// DRAINING host gets a failover job whose replacement the scheduler puts elsewhere (it never
// picks a DRAINING host), one amphora per load balancer at a time, so a pair moves one side
// at a time and a SINGLE's replacement serves before the old one is retired. Any number of
// managers may run this: the writes are idempotent and the failover queue dedupes. A change of
// liveness is recorded as a host.online / host.offline event in the transaction that commits it
// (docs/architecture.md §8), so of two managers seeing the same change, one records it.
import type { Db } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { recordEvent } from '../observability/events.ts';
import { agentUrlOf, allHosts, amphoraCounts, drainWork, markSilentHostsOffline, recordHostsSeen, type HostRow } from '../inventory/host-store.ts';
import { enqueueFailover, failoversInFlight } from './failover-store.ts';

export interface HostMonitorDeps {
  db: Db;
  log: Logger;
  ping: (agentUrl: string) => Promise<boolean>;
  timeoutMs: number;
  maxConcurrentFailovers: number;
  jobMaxAttempts: number;
}

/** Commits a liveness change (`change` returns the hosts it changed) with one event per host. */
async function withEvents(db: Db, type: 'host.online' | 'host.offline', change: (trx: Db) => Promise<HostRow[]>, detail: Record<string, unknown>): Promise<HostRow[]> {
  return db.transaction().execute(async (trx) => {
    const changed = await change(trx);
    if (changed.length === 0) return changed;
    const counts = await amphoraCounts(trx, changed.map((h) => h.id));
    for (const host of changed) {
      await recordEvent(trx, {
        type,
        projectId: null,
        loadBalancerId: null,
        detail: {
          host_id: host.id,
          name: host.name,
          address: host.address,
          port: host.port,
          availability_zone: host.availability_zone,
          amphora_count: counts.get(host.id) ?? 0,
          last_seen_at: host.last_seen_at?.toISOString() ?? null,
          ...detail,
        },
      });
    }
    return changed;
  });
}

export class HostMonitor {
  drainsStarted = 0;

  constructor(private readonly deps: HostMonitorDeps) {}

  /** Asks every host's agent; records who answered; turns the long-silent OFFLINE. */
  async probe(): Promise<void> {
    const { db, log } = this.deps;
    const hosts = await allHosts(db);
    const answered = await Promise.all(hosts.map(async (h) => ((await this.deps.ping(agentUrlOf(h))) ? h.id : null)));
    const seen = answered.filter((id): id is string => id !== null);
    for (const host of await withEvents(db, 'host.online', (trx) => recordHostsSeen(trx, seen), {})) {
      log.warn({ host_id: host.id, name: host.name }, 'host is ONLINE again: its agent answers');
    }
    const { timeoutMs } = this.deps;
    for (const host of await withEvents(db, 'host.offline', (trx) => markSilentHostsOffline(trx, timeoutMs), { timeout_ms: timeoutMs })) {
      log.error({ host_id: host.id, name: host.name, last_seen_at: host.last_seen_at }, `host is OFFLINE: its agent has not answered for ${timeoutMs} ms; its amphorae are failed over to other hosts`);
    }
  }

  /** Queues the next moves off DRAINING hosts, within the failover rate limit. */
  async drain(): Promise<void> {
    const { db, log } = this.deps;
    const work = await drainWork(db);
    if (work.length === 0) return;
    let slots = this.deps.maxConcurrentFailovers - (await failoversInFlight(db));
    for (const item of work) {
      if (slots <= 0) break;
      const reason = `drain of host ${item.hostId}: moved to another host`;
      const jobId = await enqueueFailover(db, { amphoraId: item.amphoraId, loadBalancerId: item.loadBalancerId, reason, maxAttempts: this.deps.jobMaxAttempts });
      if (!jobId) continue;
      slots--;
      this.drainsStarted++;
      log.info({ host_id: item.hostId, amphora_id: item.amphoraId, load_balancer_id: item.loadBalancerId, job_id: jobId }, 'drain: amphora moving off its host');
    }
  }
}
