// `fulcrum lb logs ID [--since T] [--limit N] [--follow]`: a load balancer's access log through
// the API (GET /v2/fulcrum/loadbalancers/{id}/logs, reached as api-client.ts says), so it works
// wherever the API runs, also while `fulcrum serve` holds the embedded database. A follow
// stream that the server ends (its lifetime) is opened again from the last line's time.
import type { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { apiTarget, callApi, openApi, withApi, type ApiFlags, type ApiTarget } from './api-client.ts';

export interface LogLine {
  time: string;
  amphora_id: string;
  listener_id: string;
  message: string;
}

/** One printed line: time, listener, the access-log line as HAProxy wrote it. */
export function formatLogLine(line: LogLine): string {
  return `${line.time} ${line.listener_id} ${line.message}`;
}

interface LogOptions extends ApiFlags {
  since?: string;
  limit?: string;
  follow?: boolean;
}

function query(opts: { since?: string; limit?: string; follow?: boolean }): string {
  const params = new URLSearchParams();
  if (opts.since) params.set('since', opts.since);
  if (opts.limit) params.set('limit', opts.limit);
  if (opts.follow) params.set('follow', 'true');
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function follow(target: ApiTarget, path: string, opts: LogOptions, print: (line: string) => void): Promise<void> {
  let since = opts.since;
  let limit = opts.limit;
  // Lines at the last printed time, so a reopened stream does not print them twice.
  let seenAtLast = new Set<string>();
  let lastTime = '';
  for (;;) {
    const res = await openApi(target, `${path}${query({ since, limit, follow: true })}`, 'application/x-ndjson');
    if (!res.body) return;
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        if (text === '') continue;
        const line = JSON.parse(text) as LogLine;
        const key = `${line.amphora_id} ${line.message}`;
        if (line.time < lastTime || (line.time === lastTime && seenAtLast.has(key))) continue;
        if (line.time !== lastTime) seenAtLast = new Set();
        lastTime = line.time;
        seenAtLast.add(key);
        print(formatLogLine(line));
      }
    }
    since = lastTime || since;
    limit = undefined;
  }
}

export function addLogsCommand(lb: Command, config: () => FulcrumConfig): void {
  withApi(lb.command('logs'))
    .description("a load balancer's access log (Octavia's log fields), oldest first")
    .argument('<id>', 'load balancer id')
    .option('--since <time>', 'only lines at or after this ISO 8601 time, e.g. 2026-01-31T12:00:00Z')
    .option('--limit <n>', 'the newest n lines (1 to 1000, default 100)')
    .option('--follow', 'keep printing lines as they come, until interrupted')
    .action(async (id: string, opts: LogOptions) => {
      const target = apiTarget(config(), opts);
      const path = `/v2/fulcrum/loadbalancers/${encodeURIComponent(id)}/logs`;
      const print = (line: string) => process.stdout.write(`${line}\n`);
      if (opts.follow) return follow(target, path, opts, print);
      for (const line of (await callApi<{ logs: LogLine[] }>(target, 'GET', `${path}${query(opts)}`)).logs) print(formatLogLine(line));
    });
}
