// One amphora's UDP and SCTP data plane (docs/dataplane.md §10): the controller's plan, rendered
// into one nftables table in the amphora's namespace, and the health probes that take failed
// members out of it and put them back. A member that fails loses its conntrack entries too, so
// its clients' next datagrams pick a live member; a change of the plan leaves the flows of
// other members alone (their conntrack entries outlive the table), and the clients the
// persistence maps remember are read from the old table and written into the new one.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { L4Listener, L4Member, L4Plan } from '../amphora/render/l4-plan.ts';
import { NFT_TABLE, renderNftables } from '../amphora/render/nftables-ruleset.ts';
import type { Logger } from '../observability/logger.ts';
import { Conflict, InvalidConfig } from './errors.ts';
import type { HeartbeatProxy } from './heartbeat-codec.ts';
import { emptyCounters, parseConntrackFlows, parseNftCounters, subtractCounters, sumCounters, type ActiveFlows, type L4Counters, type Traffic } from './l4-counters.ts';
import { flowsTo, l4HeartbeatProxies } from './l4-heartbeat.ts';
import { MemberHealthBook } from './l4-member-health.ts';
import { parseRemembered } from './l4-persistence.ts';
import { probeMember } from './l4-probe.ts';
import { run } from './process-runner.ts';
import { SerialQueue } from './serial-queue.ts';

export interface L4ApplyResult {
  listeners: number;
  /** Members the probes hold out of the maps right now. */
  down: string[];
}

/** What the agent's stats call shows of the UDP/SCTP data plane. */
export interface L4Stats {
  listeners: Record<string, Traffic & { active_flows: number }>;
  members: Record<string, Traffic & { down: boolean }>;
}

export interface L4Files {
  plan: string;
  ruleset: string;
}

const EMPTY: L4Plan = { listeners: [] };

export class L4Dataplane {
  #plan: L4Plan = EMPTY;
  readonly #health = new MemberHealthBook();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #queue = new SerialQueue();
  #stopped = false;
  /** What replaced tables counted (a new table starts from zero). */
  #carried: L4Counters = emptyCounters();
  /** The HAProxy worker the heartbeat reports for, and the totals when it became current. */
  #epoch: { id: string | null; base: L4Counters } = { id: null, base: emptyCounters() };

  constructor(
    private readonly amphoraId: string,
    private readonly files: L4Files,
    private readonly netns: () => string | null,
    private readonly log: Logger,
    /** A member's probes changed its state: the heartbeat that reports it need not wait. */
    private readonly memberChanged: () => void,
  ) {}

  /** Programs the plan a previous agent left (after a restart) and starts its probes. */
  async restore(): Promise<void> {
    if (!existsSync(this.files.plan)) return;
    const plan = JSON.parse(await readFile(this.files.plan, 'utf8')) as L4Plan;
    await this.apply(plan).catch((err: unknown) => this.log.error({ amphora_id: this.amphoraId, err }, 'cannot restore the UDP/SCTP data plane'));
  }

  apply(plan: L4Plan): Promise<L4ApplyResult> {
    return this.#queue.run(async () => {
      if (plan.listeners.length > 0 && this.netns() === null) {
        throw new Conflict(`amphora ${this.amphoraId} has no network namespace: UDP and SCTP listeners need one for their nftables table`);
      }
      const keep = new Set(plan.listeners.flatMap((l) => (l.pool?.monitor ? l.pool.members.map((m) => healthKey(l, m)) : [])));
      this.#health.retain(keep);
      // Most amphorae serve no UDP or SCTP: nothing to replace, no nft to run.
      if (plan.listeners.length > 0 || this.#plan.listeners.length > 0) await this.#program(plan);
      this.#plan = plan;
      await writeFile(`${this.files.plan}.tmp`, JSON.stringify(plan), { mode: 0o600 });
      await rename(`${this.files.plan}.tmp`, this.files.plan);
      this.#startProbes();
      return { listeners: plan.listeners.length, down: [...this.#down()] };
    });
  }

  /** Stops the probes; with `removeTable` also takes the table away (the amphora is deleted). */
  async stop(removeTable: boolean): Promise<void> {
    this.#stopped = true;
    this.#clearProbes();
    if (removeTable && this.netns() !== null && this.#plan.listeners.length > 0) {
      await this.#queue.run(() => this.#program(EMPTY)).catch(() => {});
    }
  }

  /** Totals since the agent started, per listener and member. */
  totals(): Promise<L4Counters> {
    return this.#queue.run(async () => sumCounters(this.#carried, await this.#readTable()));
  }

  async stats(): Promise<L4Stats> {
    const totals = await this.totals();
    const active = await this.#activeFlows();
    const down = this.#down();
    const stats: L4Stats = { listeners: {}, members: {} };
    for (const listener of this.#plan.listeners) {
      stats.listeners[listener.id] = { ...(totals.listeners.get(listener.id) ?? emptyTraffic()), active_flows: flowsTo(active, listener) };
      for (const m of listener.pool?.members ?? []) {
        stats.members[`${listener.id} ${m.id}`] = { ...(totals.members.get(`${listener.id} ${m.id}`) ?? emptyTraffic()), down: down.has(m.id) };
      }
    }
    return stats;
  }

  /**
   * Listener, pool and member states and figures in the heartbeat's terms (l4-heartbeat.ts),
   * counted since HAProxy's worker `epoch` became current, as HAProxy counts its own.
   */
  async heartbeatProxies(epoch: string | null): Promise<HeartbeatProxy[]> {
    if (this.#plan.listeners.length === 0) return [];
    const totals = await this.totals();
    if (epoch !== this.#epoch.id) this.#epoch = { id: epoch, base: totals };
    return l4HeartbeatProxies(this.#plan, subtractCounters(totals, this.#epoch.base), await this.#activeFlows(), this.#down());
  }

  #down(plan: L4Plan = this.#plan): Set<string> {
    const down = new Set<string>();
    for (const listener of plan.listeners) {
      for (const m of listener.pool?.members ?? []) if (this.#health.isDown(healthKey(listener, m))) down.add(m.id);
    }
    return down;
  }

  /** The live table as `nft -j` shows it; null when there is none. */
  async #listTable(): Promise<string | null> {
    const netns = this.netns();
    if (netns === null || this.#plan.listeners.length === 0) return null;
    const result = await run(netns, 'nft', ['-j', 'list', 'table', ...NFT_TABLE.split(' ')]);
    return result.code === 0 ? result.stdout : null;
  }

  async #readTable(): Promise<L4Counters> {
    const table = await this.#listTable();
    return table === null ? emptyCounters() : parseNftCounters(table);
  }

  async #activeFlows(): Promise<ActiveFlows> {
    const netns = this.netns();
    const none: ActiveFlows = { listeners: new Map(), members: new Map() };
    if (netns === null || this.#plan.listeners.length === 0) return none;
    const result = await run(netns, 'conntrack', ['-L']);
    return result.code === 0 ? parseConntrackFlows(result.stdout) : none;
  }

  async #program(plan: L4Plan): Promise<void> {
    const netns = this.netns();
    if (netns === null) return;
    const live = await this.#listTable();
    const counted = live === null ? emptyCounters() : parseNftCounters(live);
    let text: string;
    try {
      text = renderNftables(plan, this.#down(plan), live === null ? new Map() : parseRemembered(live));
    } catch (err) {
      throw new InvalidConfig('the UDP/SCTP plan cannot be rendered', (err as Error).message);
    }
    await writeFile(this.files.ruleset, text, { mode: 0o600 });
    if (plan.listeners.length > 0) await this.#forwarding(netns, plan);
    const result = await run(netns, 'nft', ['-f', this.files.ruleset]);
    if (result.code !== 0) throw new InvalidConfig('nft refused the UDP/SCTP ruleset', result.stderr);
    this.#carried = sumCounters(this.#carried, counted);
  }

  /** DNATed datagrams leave through the same interface: the namespace must forward them. */
  async #forwarding(netns: string, plan: L4Plan): Promise<void> {
    const v6 = plan.listeners.some((l) => l.vips.some((v) => v.includes(':')));
    const settings = ['net.ipv4.ip_forward=1', ...(v6 ? ['net.ipv6.conf.all.forwarding=1'] : [])];
    const result = await run(netns, 'sysctl', ['-w', ...settings]);
    if (result.code !== 0) throw new InvalidConfig('cannot enable forwarding in the amphora namespace', result.stderr);
  }

  #clearProbes(): void {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
  }

  #startProbes(): void {
    this.#clearProbes();
    if (this.#stopped) return;
    for (const listener of this.#plan.listeners) {
      const monitor = listener.pool?.monitor;
      if (!monitor) continue;
      for (const member of listener.pool!.members.filter((m) => m.enabled)) {
        let probing = false;
        const timer = setInterval(() => {
          if (probing) return;
          probing = true;
          probeMember(this.netns(), monitor, member.probeAddress, member.probePort)
            .then((up) => this.#record(listener, member, up, monitor.rise, monitor.fall))
            .catch((err: unknown) => this.log.error({ amphora_id: this.amphoraId, member_id: member.id, err }, 'member probe failed'))
            .finally(() => (probing = false));
        }, monitor.delayMs);
        this.#timers.push(timer);
      }
    }
  }

  async #record(listener: L4Listener, member: L4Member, up: boolean, rise: number, fall: number): Promise<void> {
    if (!this.#health.record(healthKey(listener, member), up, rise, fall)) return;
    this.log.info({ amphora_id: this.amphoraId, listener_id: listener.id, member_id: member.id, up }, up ? 'member is back' : 'member failed its probes');
    await this.#queue.run(async () => {
      if (this.#stopped) return;
      await this.#program(this.#plan);
      if (!up) await this.#forgetFlows(listener, member);
    });
    this.memberChanged();
  }

  /** Deletes the failed member's conntrack entries: their next datagram is a new flow. */
  async #forgetFlows(listener: L4Listener, member: L4Member): Promise<void> {
    const result = await run(this.netns(), 'conntrack', ['-D', '-p', listener.protocol, '--reply-src', member.address, '--reply-port-src', String(member.port)]);
    // conntrack exits 1 when nothing matched: no flow to forget.
    if (result.code > 1) this.log.warn({ amphora_id: this.amphoraId, member_id: member.id, stderr: result.stderr }, 'cannot delete the conntrack entries of a failed member');
  }
}

function emptyTraffic(): Traffic {
  return { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, flows: 0 };
}

function healthKey(listener: L4Listener, member: L4Member): string {
  return `${listener.pool?.id}/${member.id}`;
}
