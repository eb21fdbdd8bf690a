// `fulcrum events [--loadbalancer ID] [--type T] [--follow]`: the event list of the running API
// (GET /v2/fulcrum/events), as a table, oldest first; --follow keeps polling for new events
// until interrupted.
import { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import type { EventView } from '../observability/event-view.ts';
import { apiGet, apiTarget, type ApiOptions, type ApiTarget } from './api-client.ts';
import { advance, eventRow, eventTable, EVENT_COLUMNS, followSince, startCursor } from './event-format.ts';

interface EventsOptions extends ApiOptions {
  loadbalancer?: string;
  type?: string;
  since?: string;
  limit: string;
  follow?: boolean;
  interval: string;
}

function query(opts: EventsOptions, extra: Record<string, string>): string {
  const params = new URLSearchParams();
  if (opts.loadbalancer) params.set('loadbalancer_id', opts.loadbalancer);
  if (opts.type) params.set('type', opts.type);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return `/v2/fulcrum/events?${params}`;
}

async function listEvents(target: ApiTarget, path: string): Promise<EventView[]> {
  return (await apiGet<{ events: EventView[] }>(target, path)).events;
}

export function eventsCommand(config: () => FulcrumConfig): Command {
  return new Command('events')
    .description('list the events of the running API (GET /v2/fulcrum/events); --follow shows new ones as they come')
    .option('--loadbalancer <id>', 'only the events of this load balancer')
    .option('--type <type>', 'only events of this type (e.g. member.error, failover.started)')
    .option('--since <time>', 'only events at or after this time (UTC unless it names a zone)')
    .option('--limit <n>', 'how many of the latest events to show first', '50')
    .option('--follow', 'keep polling for new events until interrupted')
    .option('--interval <ms>', 'how often --follow polls', '2000')
    .option('--url <url>', 'the Fulcrum API (default FULCRUM_URL, else the configured bind address)')
    .option('--token <token>', 'a Keystone token or Fulcrum API key (default FULCRUM_TOKEN or OS_AUTH_TOKEN)')
    .action(async (opts: EventsOptions) => {
      const target = apiTarget(config(), opts);
      const limit = Math.max(1, Number.parseInt(opts.limit, 10) || 50);
      // The latest first (so a long history is cut at its old end), shown oldest first.
      const latest = (await listEvents(target, query(opts, { sort: 'created_at:desc', limit: String(limit), ...(opts.since ? { since: opts.since } : {}) }))).reverse();
      if (!opts.follow) {
        console.log(latest.length ? eventTable(latest) : 'no events');
        return;
      }
      console.log(latest.length ? eventTable(latest) : EVENT_COLUMNS.join('  '));
      let cursor = advance(startCursor(), latest).cursor;
      const interval = Math.max(100, Number.parseInt(opts.interval, 10) || 2000);
      let stopped = false;
      process.once('SIGINT', () => (stopped = true));
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, interval));
        const since = followSince(cursor) ?? opts.since;
        const page = await listEvents(target, query(opts, { sort: 'created_at:asc', limit: '1000', ...(since ? { since } : {}) })).catch((err: unknown) => {
          console.error(`fulcrum: ${err instanceof Error ? err.message : String(err)}`);
          return [];
        });
        const next = advance(cursor, page);
        cursor = next.cursor;
        for (const e of next.fresh) console.log(eventRow(e).join('  '));
      }
    });
}
