// How numbers and times read on the dashboard.
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100 || Number.isInteger(perSecond)) return Math.round(perSecond).toString();
  return perSecond.toFixed(1);
}

/** "12 s ago", "5 min ago", "3 h ago", else the date; "-" for none. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const at = Date.parse(/[Zz]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(at)) return iso;
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(at).toISOString().slice(0, 16).replace('T', ' ');
}

/** The first characters of a UUID, enough to tell objects apart in a table. */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '-';
}

/** What a job does, in words: "create member" for a tenant write, else the flow's kind. */
export function jobLabel(kind: string, operation: unknown): string {
  const op = operation as { action?: unknown; target?: { type?: unknown } } | null;
  if (op && typeof op.action === 'string' && typeof op.target?.type === 'string') return `${op.action} ${op.target.type}`;
  return kind;
}

/** Counters worth reading: those that are not zero, largest first. */
export function nonZeroCounters(counters: Record<string, number> | null | undefined): string {
  return Object.entries(counters ?? {})
    .filter(([, v]) => v !== 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k.replaceAll('_', ' ')} ${v}`)
    .join(' · ');
}

/** The time of day of an ISO time, to the millisecond ("02:55:31.866"), as the log tail shows it. */
export function clockTime(iso: string): string {
  const m = /T(\d{2}:\d{2}:\d{2}(\.\d{1,3})?)/.exec(iso);
  return m ? m[1] : iso;
}
