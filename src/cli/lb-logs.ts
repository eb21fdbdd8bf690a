// `fulcrum lb logs ID [--since T] [--limit N] [--follow]`: a load balancer's access log through
// the API (GET /v2/fulcrum/loadbalancers/{id}/logs), so it works wherever the API runs, also
// while `fulcrum serve` holds the embedded database (API and credentials: src/cli/api-client.ts).
// A follow stream that the server ends (its lifetime) is opened again from the last line's time.
// `fulcrum lb diagnose ID` is in src/cli/lb-diagnose.ts.
import { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { apiBaseUrl, apiFault, apiHeaders } from './api-client.ts';
import { diagnoseCommand } from './lb-diagnose.ts';

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

interface LogOptions {
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

async function follow(url: string, env: NodeJS.ProcessEnv, opts: LogOptions, print: (line: string) => void): Promise<void> {
  let since = opts.since;
  let limit = opts.limit;
  // Lines at the last printed time, so a reopened stream does not print them twice.
  let seenAtLast = new Set<string>();
  let lastTime = '';
  for (;;) {
    const res = await fetch(`${url}${query({ since, limit, follow: true })}`, { headers: apiHeaders(env, 'application/x-ndjson') });
    if (!res.ok || !res.body) throw await apiFault(res);
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

export function lbCommand(config: () => FulcrumConfig): Command {
  const command = new Command('lb').description('load balancer diagnostics through the API');
  command
    .command('logs')
    .description("a load balancer's access log (Octavia's log fields), oldest first")
    .argument('<id>', 'load balancer id')
    .option('--since <time>', 'only lines at or after this ISO 8601 time, e.g. 2026-01-31T12:00:00Z')
    .option('--limit <n>', 'the newest n lines (1 to 1000, default 100)')
    .option('--follow', 'keep printing lines as they come, until interrupted')
    .action(async (id: string, opts: LogOptions) => {
      const url = `${apiBaseUrl(config(), process.env)}/v2/fulcrum/loadbalancers/${encodeURIComponent(id)}/logs`;
      const print = (line: string) => process.stdout.write(`${line}\n`);
      if (opts.follow) return follow(url, process.env, opts, print);
      const res = await fetch(`${url}${query(opts)}`, { headers: apiHeaders(process.env, 'application/json') });
      if (!res.ok) throw await apiFault(res);
      for (const line of ((await res.json()) as { logs: LogLine[] }).logs) print(formatLogLine(line));
    });
  command.addCommand(diagnoseCommand(config));
  return command;
}
