// What the agent's supervision did: daemons that exited on their own, restarts, restarts that
// failed, daemons given up on. Kept in the agent's memory (the newest `capacity` events) with a
// sequence number, so a reader (the API, a heartbeat) can ask for what is new since it last
// looked; `totals` count every event since the agent started.

export type DaemonName = 'haproxy' | 'keepalived';

export type SupervisionEventKind = 'exited' | 'restarted' | 'restart_failed' | 'gave_up';

export interface SupervisionEvent {
  seq: number;
  /** ISO 8601. */
  at: string;
  amphora_id: string;
  daemon: DaemonName;
  kind: SupervisionEventKind;
  /** exited: the pid that died; restarted: the new pid. */
  pid?: number;
  /** restarted: `exited` (it died) or `agent_start` (it was not running when the agent started). */
  reason?: 'exited' | 'agent_start';
  /** restarted: from noticing the exit (or the agent's start) to the daemon serving again. */
  down_ms?: number;
  detail?: string;
}

export type NewSupervisionEvent = Omit<SupervisionEvent, 'seq' | 'at'>;

export class SupervisionLog {
  private events: SupervisionEvent[] = [];
  private seq = 0;
  readonly totals: Record<SupervisionEventKind, number> = { exited: 0, restarted: 0, restart_failed: 0, gave_up: 0 };
  /** Told of every event as it is recorded (the heartbeat sender reports the amphora at once). */
  onRecord: ((event: SupervisionEvent) => void) | null = null;

  constructor(
    private readonly capacity = 500,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get lastSeq(): number {
    return this.seq;
  }

  record(event: NewSupervisionEvent): SupervisionEvent {
    const full: SupervisionEvent = { seq: ++this.seq, at: this.now().toISOString(), ...event };
    this.events.push(full);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    this.totals[event.kind]++;
    this.onRecord?.(full);
    return full;
  }

  /** Events after `seq` (all kept ones for 0), oldest first, at most `limit` of the newest. */
  since(seq = 0, limit = this.capacity): SupervisionEvent[] {
    const newer = this.events.filter((e) => e.seq > seq);
    return newer.slice(Math.max(0, newer.length - limit));
  }

  forAmphora(amphoraId: string, limit: number): SupervisionEvent[] {
    const own = this.events.filter((e) => e.amphora_id === amphoraId);
    return own.slice(Math.max(0, own.length - limit));
  }
}
