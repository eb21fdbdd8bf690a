// The access-log tail of a load balancer and the event list (one load balancer's, or all).
import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from './api.ts';
import { lbHref } from './route.ts';
import { ago, clockTime } from './format.ts';
import { usePoll } from './poll.ts';
import { severityTone } from './status.ts';
import { Badge, Empty, Panel } from './widgets.tsx';

interface LogLine {
  time: string;
  amphora_id: string;
  listener_id: string;
  message: string;
}

const TAIL_LINES = 200;

export function LogTail({ lbId }: { lbId: string }) {
  const [lines, setLines] = useState<LogLine[] | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let since: string | null = null;
    // The lines at `since` itself, which the next answer may repeat.
    let atSince = new Set<string>();
    setLines(undefined);
    const poll = async () => {
      try {
        const query = since ? `since=${encodeURIComponent(since)}&limit=${TAIL_LINES}` : `limit=${TAIL_LINES}`;
        const { logs } = await get<{ logs: LogLine[] }>(`/v2/fulcrum/loadbalancers/${lbId}/logs?${query}`);
        if (stopped) return;
        const key = (l: LogLine) => `${l.time}|${l.amphora_id}|${l.message}`;
        const fresh = logs.filter((l) => !atSince.has(key(l)));
        if (logs.length) {
          since = logs[logs.length - 1].time;
          atSince = new Set(logs.filter((l) => l.time === since).map(key));
        }
        setLines((old) => [...(old ?? []), ...fresh].slice(-TAIL_LINES));
        setError(undefined);
      } catch (err) {
        if (stopped) return;
        setError(err as Error);
      }
      if (!stopped) timer = setTimeout(poll, 2000);
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [lbId]);

  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);

  return (
    <Panel title="Access log" id="logs" wide error={error} loading={!lines}>
      {lines && lines.length === 0 && <Empty>No requests logged yet.</Empty>}
      {lines && lines.length > 0 && (
        <pre class="log" ref={box} data-testid="log-lines">
          {lines.map((l) => (
            <div key={`${l.time}|${l.amphora_id}|${l.message}`} class="log-line">
              <span class="log-time" title={l.time}>
                {clockTime(l.time)}
              </span>
              <span>{l.message}</span>
            </div>
          ))}
        </pre>
      )}
    </Panel>
  );
}

interface FulcrumEvent {
  id: string;
  type: string;
  severity: string;
  loadbalancer_id: string | null;
  project_id: string | null;
  created_at: string;
  detail: Record<string, unknown>;
}

export function EventList({ lbId }: { lbId?: string }) {
  const query = `?sort=created_at:desc&limit=50${lbId ? `&loadbalancer_id=${lbId}` : ''}`;
  const events = usePoll(() => get<{ events: FulcrumEvent[] }>(`/v2/fulcrum/events${query}`), 5000, query);
  const rows = events.data?.events ?? [];
  const now = Date.now();
  return (
    <Panel title="Events" id="events" wide error={events.error} loading={!events.data}>
      {events.data && rows.length === 0 && <Empty>No events.</Empty>}
      {rows.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Severity</th>
              <th>Type</th>
              {!lbId && <th>Load balancer</th>}
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id}>
                <td title={e.created_at}>{ago(e.created_at, now)}</td>
                <td>
                  <Badge status={e.severity} tone={severityTone(e.severity)} />
                </td>
                <td class="mono">{e.type}</td>
                {!lbId && <td>{e.loadbalancer_id ? <a href={lbHref(e.loadbalancer_id)}>{e.loadbalancer_id.slice(0, 8)}</a> : '-'}</td>}
                <td class="detail">{detailText(e.detail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail ?? {})
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}
