// The data plane's statistics Fulcrum carries from the amphorae to /metrics, in one list: the
// agent reads these `show stat` columns into each heartbeat (and counts the same ones for UDP
// and SCTP listeners from nftables and conntrack, agent/l4-heartbeat.ts), the health manager
// keeps their totals across reloads, and the exporter names them. A further figure HAProxy
// counts is one more entry here. Pure.

/** Which `show stat` rows a figure is taken from: frontends (listeners), backends (pools), servers (members). */
export type ProxyScope = 'listener' | 'pool' | 'member';

export interface ProxyFigure {
  /** HAProxy's `show stat` column; also the key in heartbeats and in the database. */
  stat: string;
  /** Counters only grow within a worker; gauges are a current value, replaced on each report. */
  kind: 'counter' | 'gauge';
  /** The exported name without its `fulcrum_<scope>_` prefix (counters also get `_total`). */
  metric: string;
  help: string;
  scopes: readonly ProxyScope[];
  /** Labels that tell apart figures exported under one name (response code classes). */
  labels?: Readonly<Record<string, string>>;
  /**
   * Counted only by the UDP/SCTP data plane (HAProxy has no such column): never read from
   * `show stat`, and exported only for the objects that reported it.
   */
  nftablesOnly?: true;
}

const ALL: readonly ProxyScope[] = ['listener', 'pool', 'member'];
const responses = (code: string): ProxyFigure => ({
  stat: `hrsp_${code}`,
  kind: 'counter',
  metric: 'responses',
  help: 'HTTP responses by status class',
  scopes: ALL,
  labels: { code },
});

export const PROXY_FIGURES: readonly ProxyFigure[] = [
  { stat: 'req_tot', kind: 'counter', metric: 'requests', help: 'HTTP requests received', scopes: ALL },
  { stat: 'stot', kind: 'counter', metric: 'connections', help: 'Connections (sessions) served', scopes: ALL },
  { stat: 'scur', kind: 'gauge', metric: 'active_connections', help: 'Connections (sessions) open now', scopes: ALL },
  { stat: 'bin', kind: 'counter', metric: 'bytes_in', help: 'Bytes received from clients', scopes: ALL },
  { stat: 'bout', kind: 'counter', metric: 'bytes_out', help: 'Bytes sent to clients', scopes: ALL },
  responses('1xx'),
  responses('2xx'),
  responses('3xx'),
  responses('4xx'),
  responses('5xx'),
  responses('other'),
  { stat: 'ereq', kind: 'counter', metric: 'request_errors', help: 'Requests that failed (bad request, client abort)', scopes: ['listener'] },
  { stat: 'dreq', kind: 'counter', metric: 'denied_requests', help: 'Requests denied by ACLs or rules', scopes: ['listener', 'pool'] },
  { stat: 'dcon', kind: 'counter', metric: 'denied_connections', help: 'Connections refused by tcp-request connection rules', scopes: ['listener'] },
  { stat: 'econ', kind: 'counter', metric: 'connection_errors', help: 'Failed attempts to connect to a member', scopes: ['pool', 'member'] },
  { stat: 'eresp', kind: 'counter', metric: 'response_errors', help: 'Responses from members that failed or were aborted', scopes: ['pool', 'member'] },
  { stat: 'wretr', kind: 'counter', metric: 'retries', help: 'Connection attempts retried', scopes: ['pool', 'member'] },
  { stat: 'chkfail', kind: 'counter', metric: 'check_failures', help: 'Failed health checks', scopes: ['member'] },
  { stat: 'pkts_in', kind: 'counter', metric: 'packets_in', help: 'Packets received from clients (UDP and SCTP listeners)', scopes: ALL, nftablesOnly: true },
  { stat: 'pkts_out', kind: 'counter', metric: 'packets_out', help: 'Packets sent to clients (UDP and SCTP listeners)', scopes: ALL, nftablesOnly: true },
];

/** A heartbeat's or a database row's figures: `show stat` column → value. */
export type Figures = Record<string, number>;

const ROW_SCOPE: Record<string, ProxyScope> = { '0': 'listener', '1': 'pool', '2': 'member' };

/** The `show stat` row type ('0' frontend, '1' backend, '2' server) as a scope; null for others (listen sockets). */
export function scopeOfRowType(type: string): ProxyScope | null {
  return ROW_SCOPE[type] ?? null;
}

/** The figures of one `show stat` row that apply to its scope; empty and zero columns are left out (zero). */
export function figuresOf(scope: ProxyScope, column: (stat: string) => string): Figures {
  const figures: Figures = {};
  for (const f of PROXY_FIGURES) {
    if (!f.scopes.includes(scope) || f.nftablesOnly) continue;
    const raw = column(f.stat);
    if (raw === '') continue;
    const value = Number(raw);
    if (Number.isSafeInteger(value) && value > 0) figures[f.stat] = value;
  }
  return figures;
}

export const GAUGE_STATS: ReadonlySet<string> = new Set(PROXY_FIGURES.filter((f) => f.kind === 'gauge').map((f) => f.stat));

/**
 * Counters only grow within one HAProxy worker, and every reload starts a worker at zero:
 * `stored` is what this worker's counters were when last stored (nothing for a worker seen
 * for the first time, so all it served counts). Returns what to add to the totals and what to
 * store for the worker: a heartbeat seen twice, or late, adds nothing. Gauges are not counted.
 */
export function figuresIncrement(reported: Figures, stored: Figures): { increment: Figures; stored: Figures } {
  const increment: Figures = {};
  const next: Figures = { ...stored };
  for (const [stat, value] of Object.entries(reported)) {
    if (GAUGE_STATS.has(stat)) continue;
    const before = stored[stat] ?? 0;
    if (value > before) {
      increment[stat] = value - before;
      next[stat] = value;
    }
  }
  return { increment, stored: next };
}

/** Only the gauges of a report (an absent gauge is zero). */
export function gaugesOf(reported: Figures): Figures {
  const gauges: Figures = {};
  for (const stat of GAUGE_STATS) gauges[stat] = reported[stat] ?? 0;
  return gauges;
}
