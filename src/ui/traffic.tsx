// Live traffic of one load balancer: its stats polled every two seconds, charted as rates
// (connections and bytes per second), and each listener's totals beside them.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.ts';
import { appendSample, emptySeries, latest, type LbStats, type StatsSample, type TrafficSeries } from './rates.ts';
import { formatBytes, formatRate } from './format.ts';
import { TrafficChart } from './traffic-chart.tsx';
import { Panel } from './widgets.tsx';

const POLL_MS = 2000;
const POINTS = 90;

interface ListenerRef {
  id: string;
  name: string;
  protocol: string;
  protocol_port: number;
}

export function TrafficPanel({ lbId, listeners }: { lbId: string; listeners: ListenerRef[] }) {
  const [series, setSeries] = useState<TrafficSeries>(emptySeries());
  const [totals, setTotals] = useState<LbStats | null>(null);
  const [perListener, setPerListener] = useState<Record<string, LbStats>>({});
  const [error, setError] = useState<Error | undefined>();
  const previous = useRef<StatsSample | null>(null);
  const listenerIds = listeners.map((l) => l.id).join(',');

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    previous.current = null;
    setSeries(emptySeries());
    const poll = async () => {
      try {
        const [{ stats }, ...listenerStats] = await Promise.all([
          get<{ stats: LbStats }>(`/v2/lbaas/loadbalancers/${lbId}/stats`),
          ...listenerIds.split(',').filter(Boolean).map((id) => get<{ stats: LbStats }>(`/v2/lbaas/listeners/${id}/stats`).then((r) => [id, r.stats] as const)),
        ]);
        if (stopped) return;
        const sample = { at: Date.now(), stats };
        const before = previous.current;
        if (before) setSeries((s) => appendSample(s, before, sample, POINTS));
        previous.current = sample;
        setTotals(stats);
        setPerListener(Object.fromEntries(listenerStats));
        setError(undefined);
      } catch (err) {
        if (!stopped) setError(err as Error);
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [lbId, listenerIds]);

  return (
    <Panel title="Traffic" id="traffic" wide error={error} loading={!totals}>
      {totals && (
        <>
          <div class="figures">
            <Figure label="connections/s" value={formatRate(latest(series.connectionsPerSecond))} testId="rate" />
            <Figure label="active connections" value={String(totals.active_connections)} />
            <Figure label="total connections" value={String(totals.total_connections)} testId="total-connections" />
            <Figure label="in" value={formatBytes(totals.bytes_in)} />
            <Figure label="out" value={formatBytes(totals.bytes_out)} />
            <Figure label="request errors" value={String(totals.request_errors)} />
          </div>
          <div class="charts">
            <TrafficChart
              title="Connections"
              time={series.time}
              format={formatRate}
              series={[
                { label: 'new/s', color: '#2563eb', values: series.connectionsPerSecond },
                { label: 'active', color: '#16a34a', values: series.activeConnections },
                { label: 'errors/s', color: '#dc2626', values: series.errorsPerSecond },
              ]}
            />
            <TrafficChart
              title="Throughput"
              time={series.time}
              format={(v) => `${formatBytes(v)}/s`}
              series={[
                { label: 'in', color: '#7c3aed', values: series.bytesInPerSecond },
                { label: 'out', color: '#ea580c', values: series.bytesOutPerSecond },
              ]}
            />
          </div>
          {listeners.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Listener</th>
                  <th>Port</th>
                  <th class="num">Active</th>
                  <th class="num">Total connections</th>
                  <th class="num">In</th>
                  <th class="num">Out</th>
                  <th class="num">Errors</th>
                </tr>
              </thead>
              <tbody>
                {listeners.map((l) => {
                  const s = perListener[l.id];
                  return (
                    <tr key={l.id}>
                      <td>{l.name || l.id.slice(0, 8)}</td>
                      <td>
                        {l.protocol} {l.protocol_port}
                      </td>
                      <td class="num">{s?.active_connections ?? '-'}</td>
                      <td class="num">{s?.total_connections ?? '-'}</td>
                      <td class="num">{s ? formatBytes(s.bytes_in) : '-'}</td>
                      <td class="num">{s ? formatBytes(s.bytes_out) : '-'}</td>
                      <td class="num">{s?.request_errors ?? '-'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </Panel>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="figure" data-testid={testId}>
      <strong>{value}</strong>
      <span>{label}</span>
    </div>
  );
}
