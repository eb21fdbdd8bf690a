// `fulcrum lb diagnose ID`: where a load balancer's chain breaks, through the API
// (GET /v2/fulcrum/loadbalancers/{id}/diagnostics, administrators only). One line per check,
// then where it breaks; the exit code is 1 when a check failed, so scripts can test it.
import type { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { apiTarget, callApi, withApi, type ApiFlags } from './api-client.ts';

interface CheckView {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  detail: string;
}

export interface DiagnosticsView {
  loadbalancer: { id: string; name: string | null; provisioning_status: string; operating_status: string; topology: string; checks: CheckView[] };
  jobs: { id: string; kind: string; state: string; created_at: string | null }[];
  amphorae: { id: string; role: string | null; status: string; checks: CheckView[] }[];
  broken_at: string | null;
}

const MARK: Record<CheckView['status'], string> = { ok: 'ok     ', failed: 'FAILED ', skipped: 'skipped' };

function checkLines(checks: CheckView[]): string[] {
  const width = Math.max(0, ...checks.map((c) => c.name.length));
  return checks.map((c) => `  ${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`);
}

/** The report a person reads: the load balancer, its newest jobs, each amphora's checks, the verdict. */
export function formatDiagnostics(d: DiagnosticsView): string[] {
  const lb = d.loadbalancer;
  const lines = [`load balancer ${lb.id}${lb.name ? ` (${lb.name})` : ''}: ${lb.provisioning_status}/${lb.operating_status}, ${lb.topology}`, ...checkLines(lb.checks)];
  if (d.jobs.length > 0) {
    lines.push('recent jobs:');
    for (const j of d.jobs.slice(0, 5)) lines.push(`  ${j.id.padStart(6)}  ${j.state.padEnd(9)}  ${j.kind}  ${j.created_at ?? ''}`);
  }
  for (const a of d.amphorae) lines.push(`amphora ${a.id} (${a.role ?? 'no role'}, ${a.status}):`, ...checkLines(a.checks));
  lines.push(d.broken_at ? `broken at: ${d.broken_at}` : 'no check failed');
  return lines;
}

export function addDiagnoseCommand(lb: Command, config: () => FulcrumConfig): void {
  withApi(lb.command('diagnose'))
    .description("walk a load balancer's chain (API row, jobs, amphorae, their hosts, agents, haproxy, configuration, servers, heartbeats, VRRP) and say where it breaks")
    .argument('<id>', 'load balancer id')
    .action(async (id: string, opts: ApiFlags) => {
      const path = `/v2/fulcrum/loadbalancers/${encodeURIComponent(id)}/diagnostics`;
      const { diagnostics } = await callApi<{ diagnostics: DiagnosticsView }>(apiTarget(config(), opts), 'GET', path);
      process.stdout.write(`${formatDiagnostics(diagnostics).join('\n')}\n`);
      if (diagnostics.broken_at) process.exitCode = 1;
    });
}
