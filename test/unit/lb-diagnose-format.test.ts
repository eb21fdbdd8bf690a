// `fulcrum lb diagnose`'s report: one aligned line per check with its verdict, and the verdict
// of the whole chain at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostics, type DiagnosticsView } from '../../src/cli/lb-diagnose.ts';

const view: DiagnosticsView = {
  loadbalancer: {
    id: 'lb-1',
    name: 'web',
    provisioning_status: 'ACTIVE',
    operating_status: 'ONLINE',
    topology: 'SINGLE',
    checks: [{ name: 'provisioning', status: 'ok', detail: 'ACTIVE' }],
  },
  jobs: [{ id: '12', kind: 'provider-operation', state: 'succeeded', created_at: '2026-12-06T03:00:00' }],
  amphorae: [
    {
      id: 'amp-1',
      role: 'STANDALONE',
      status: 'ALLOCATED',
      checks: [
        { name: 'agent', status: 'failed', detail: 'ECONNREFUSED' },
        { name: 'haproxy', status: 'skipped', detail: 'the agent did not answer' },
      ],
    },
  ],
  broken_at: 'amphora:amp-1:agent',
};

test('one line per check, names aligned, and where the chain breaks', () => {
  const lines = formatDiagnostics(view);
  assert.equal(lines[0], 'load balancer lb-1 (web): ACTIVE/ONLINE, SINGLE');
  assert.ok(lines.includes('  FAILED   agent    ECONNREFUSED'), lines.join('\n'));
  assert.ok(lines.includes('  skipped  haproxy  the agent did not answer'), lines.join('\n'));
  assert.ok(lines.some((l) => /^\s+12\s+succeeded\s+provider-operation/.test(l)));
  assert.equal(lines.at(-1), 'broken at: amphora:amp-1:agent');
  assert.equal(formatDiagnostics({ ...view, broken_at: null }).at(-1), 'no check failed');
});
