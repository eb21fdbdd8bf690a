// `show table <frontend>` of a listener's protection table (src/amphora/render/haproxy-protection.ts)
// → the client addresses it tracks, what each is doing now and how often it was refused, and the
// top offenders among them. Pure.
import { REFUSAL_REASONS, type RefusalReason } from '../amphora/render/haproxy-protection.ts';

export interface TrackedSource {
  /** The client address; IPv4 clients without the ::ffff: prefix the table stores them under. */
  source: string;
  conn_cur: number;
  conn_rate: number;
  /** Null on a TCP listener (its table does not count requests). */
  http_req_rate: number | null;
  /** Refusals since the entry was made (it expires after a minute without traffic). */
  refused: Record<RefusalReason, number>;
}

export interface SourcesReport {
  /** Addresses in the table now. */
  tracked: number;
  /** Refusals of every tracked address, by reason. */
  refused: Record<RefusalReason, number>;
  top: TrackedSource[];
}

function zeroRefusals(): Record<RefusalReason, number> {
  return Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;
}

export function parseShowTable(text: string): TrackedSource[] {
  const out: TrackedSource[] = [];
  for (const line of text.split('\n')) {
    const key = /\bkey=(\S+)/.exec(line);
    if (!key) continue;
    const value = (name: string) => {
      const m = new RegExp(`\\b${name.replace(/[()]/g, '\\$&')}=(\\d+)`).exec(line);
      return m ? Number(m[1]) : null;
    };
    const refused = zeroRefusals();
    REFUSAL_REASONS.forEach((reason, i) => {
      refused[reason] = value(`gpc${i}`) ?? 0;
    });
    out.push({
      source: key[1].replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1'),
      conn_cur: value('conn_cur') ?? 0,
      conn_rate: value('conn_rate(1000)') ?? 0,
      http_req_rate: value('http_req_rate(1000)'),
      refused,
    });
  }
  return out;
}

const total = (s: TrackedSource) => REFUSAL_REASONS.reduce((sum, r) => sum + s.refused[r], 0);

/** The `limit` sources refused most, then the busiest; sources never refused are left out. */
export function topOffenders(sources: TrackedSource[], limit: number): SourcesReport {
  const refused = zeroRefusals();
  for (const s of sources) for (const r of REFUSAL_REASONS) refused[r] += s.refused[r];
  const top = sources
    .filter((s) => total(s) > 0)
    .sort((a, b) => total(b) - total(a) || (b.http_req_rate ?? 0) - (a.http_req_rate ?? 0) || b.conn_rate - a.conn_rate || a.source.localeCompare(b.source))
    .slice(0, limit);
  return { tracked: sources.length, refused, top };
}

/** Reports of the same listener from several amphorae (a pair): summed per address. */
export function mergeReports(reports: SourcesReport[], limit: number): SourcesReport {
  const bySource = new Map<string, TrackedSource>();
  let tracked = 0;
  for (const report of reports) {
    tracked += report.tracked;
    for (const s of report.top) {
      const seen = bySource.get(s.source);
      if (!seen) {
        bySource.set(s.source, { ...s, refused: { ...s.refused } });
        continue;
      }
      seen.conn_cur += s.conn_cur;
      seen.conn_rate += s.conn_rate;
      if (s.http_req_rate !== null) seen.http_req_rate = (seen.http_req_rate ?? 0) + s.http_req_rate;
      for (const r of REFUSAL_REASONS) seen.refused[r] += s.refused[r];
    }
  }
  const merged = topOffenders([...bySource.values()], limit);
  const refused = zeroRefusals();
  for (const report of reports) for (const r of REFUSAL_REASONS) refused[r] += report.refused[r];
  return { ...merged, tracked, refused };
}
