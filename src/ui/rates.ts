// The Octavia stats call returns running totals; the traffic graphs plot what changed per
// second between two polls. A total that went down (an amphora replaced by failover starts
// counting again) gives no rate for that interval rather than a negative one.
export interface LbStats {
  active_connections: number;
  bytes_in: number;
  bytes_out: number;
  request_errors: number;
  total_connections: number;
}

export interface StatsSample {
  /** When the sample was taken, in milliseconds since the epoch. */
  at: number;
  stats: LbStats;
}

/** Columns as uPlot takes them: x (seconds since the epoch), then one array per series. */
export interface TrafficSeries {
  time: number[];
  connectionsPerSecond: (number | null)[];
  activeConnections: number[];
  bytesInPerSecond: (number | null)[];
  bytesOutPerSecond: (number | null)[];
  errorsPerSecond: (number | null)[];
}

export function emptySeries(): TrafficSeries {
  return { time: [], connectionsPerSecond: [], activeConnections: [], bytesInPerSecond: [], bytesOutPerSecond: [], errorsPerSecond: [] };
}

function rate(before: number, after: number, seconds: number): number | null {
  if (after < before || seconds <= 0) return null;
  return (after - before) / seconds;
}

/** The series with one more point: the rates between `previous` and `next`. */
export function appendSample(series: TrafficSeries, previous: StatsSample, next: StatsSample, maxPoints: number): TrafficSeries {
  const seconds = (next.at - previous.at) / 1000;
  const keep = <T>(values: T[], value: T) => [...values, value].slice(-maxPoints);
  const a = previous.stats;
  const b = next.stats;
  return {
    time: keep(series.time, next.at / 1000),
    connectionsPerSecond: keep(series.connectionsPerSecond, rate(a.total_connections, b.total_connections, seconds)),
    activeConnections: keep(series.activeConnections, b.active_connections),
    bytesInPerSecond: keep(series.bytesInPerSecond, rate(a.bytes_in, b.bytes_in, seconds)),
    bytesOutPerSecond: keep(series.bytesOutPerSecond, rate(a.bytes_out, b.bytes_out, seconds)),
    errorsPerSecond: keep(series.errorsPerSecond, rate(a.request_errors, b.request_errors, seconds)),
  };
}

/** The latest rate of a series, 0 before there is one. */
export function latest(values: readonly (number | null)[]): number {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i] as number;
  return 0;
}
