// Statistics of the UDP/SCTP data plane, from the nftables counters the ruleset names in its
// comments (nftables-ruleset.ts) and from conntrack. The table is replaced on every change,
// which zeroes its counters: what a table counted is carried over before it is replaced. The
// heartbeat reports per HAProxy worker (its epoch, listener-counters.ts), so the counters are
// also reported from zero whenever that epoch changes. Parsing is pure.

export interface Traffic {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  /** New flows (their first packets). */
  flows: number;
}

export interface L4Counters {
  listeners: Map<string, Traffic>;
  /** Keyed `<listener id> <member id>`. */
  members: Map<string, Traffic>;
}

const zero = (): Traffic => ({ packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, flows: 0 });

function add(into: Map<string, Traffic>, key: string, part: Partial<Traffic>): void {
  const t = into.get(key) ?? zero();
  for (const k of Object.keys(part) as (keyof Traffic)[]) t[k] += part[k] ?? 0;
  into.set(key, t);
}

interface NftRule {
  rule?: { comment?: string; expr?: { counter?: { packets: number; bytes: number } }[] };
}

/** `nft -j list table inet fulcrum_l4` → counters by listener and member. */
export function parseNftCounters(json: string): L4Counters {
  const counters: L4Counters = { listeners: new Map(), members: new Map() };
  const items = (JSON.parse(json) as { nftables?: NftRule[] }).nftables ?? [];
  for (const item of items) {
    const comment = item.rule?.comment;
    const counter = item.rule?.expr?.find((e) => e.counter)?.counter;
    if (!comment || !counter) continue;
    const words = comment.split(' ');
    if (words[0] === 'member' && words.length === 4) {
      const part =
        words[3] === 'new' ? { flows: counter.packets } : words[3] === 'in' ? { packetsIn: counter.packets, bytesIn: counter.bytes } : { packetsOut: counter.packets, bytesOut: counter.bytes };
      add(counters.members, `${words[1]} ${words[2]}`, part);
      add(counters.listeners, words[1], part);
    }
  }
  return counters;
}

export interface ActiveFlows {
  /** By original destination, `<address> <port>` (a VIP and listener port). */
  listeners: Map<string, number>;
  /** By original destination and the member that answers, `<vip> <port> <member address> <member port>`. */
  members: Map<string, number>;
}

/** `conntrack -L` → live UDP and SCTP flows. */
export function parseConntrackFlows(text: string): ActiveFlows {
  const flows: ActiveFlows = { listeners: new Map(), members: new Map() };
  const count = (into: Map<string, number>, key: string) => into.set(key, (into.get(key) ?? 0) + 1);
  for (const line of text.split('\n')) {
    // The original tuple comes first, then the reply tuple: its source is the member.
    const m = /^(?:udp|sctp)\s.*?\bdst=(\S+)\s.*?\bdport=(\d+)\s.*?\bsrc=(\S+)\s.*?\bsport=(\d+)/.exec(line);
    if (!m) continue;
    count(flows.listeners, `${m[1]} ${m[2]}`);
    count(flows.members, `${m[1]} ${m[2]} ${m[3]} ${m[4]}`);
  }
  return flows;
}

export function sumCounters(a: L4Counters, b: L4Counters): L4Counters {
  const sum: L4Counters = { listeners: new Map(), members: new Map() };
  for (const source of [a, b]) {
    for (const [k, t] of source.listeners) add(sum.listeners, k, t);
    for (const [k, t] of source.members) add(sum.members, k, t);
  }
  return sum;
}

/** `a - b`, floored at zero per counter. */
export function subtractCounters(a: L4Counters, b: L4Counters): L4Counters {
  const diff = (x: Map<string, Traffic>, y: Map<string, Traffic>) =>
    new Map(
      [...x].map(([k, t]) => {
        const base = y.get(k) ?? zero();
        const out = zero();
        for (const key of Object.keys(out) as (keyof Traffic)[]) out[key] = Math.max(t[key] - base[key], 0);
        return [k, out] as const;
      }),
    );
  return { listeners: diff(a.listeners, b.listeners), members: diff(a.members, b.members) };
}

export function emptyCounters(): L4Counters {
  return { listeners: new Map(), members: new Map() };
}
