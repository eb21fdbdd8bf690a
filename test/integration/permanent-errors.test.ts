// Errors no retry can cure fail a flow on its first attempt, with the reason in the fault
// (issue: a missing program used to cost five attempts over 30 s before ERROR). Real parts:
// an agent whose PATH lacks keepalived answers PROGRAM_MISSING, marked permanent by the
// client; `fulcrum serve`'s worker on a host without HAProxy (PATH hiding it) puts a new
// load balancer in ERROR after one attempt, naming the program.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AgentRequestFailed } from '../../src/amphora/agent-client.ts';
import { AgentProcess, Cleanup, controllerClient, makePki } from './agent-harness.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';

const cleanup = new Cleanup();
const realPath = process.env.PATH;
/** A PATH of one directory holding only what `programs` names, linked to the real ones. */
function pathWith(programs: string[]): string {
  const dir = cleanup.tempDir('fulcrum-path-');
  for (const p of programs) symlinkSync(execFileSync('which', [p], { encoding: 'utf8' }).trim(), join(dir, p));
  return dir;
}

after(async () => {
  process.env.PATH = realPath;
  await cleanup.run();
});

describe('permanent errors from the data plane', () => {
  test('an agent without keepalived answers PROGRAM_MISSING, which the client marks permanent', async () => {
    const dir = cleanup.tempDir('fulcrum-agent-perm-');
    const pki = await makePki(dir);
    // mkfifo (coreutils) makes the log pipe; keepalived is the one missing.
    process.env.PATH = pathWith(['haproxy', 'mkfifo']);
    let agent: AgentProcess;
    try {
      agent = await AgentProcess.start(cleanup, `${dir}/amphorae`, pki);
    } finally {
      process.env.PATH = realPath;
    }
    const client = controllerClient(pki, agent.url);
    cleanup.clients.add(client);
    await client.registerAmphora('amp-perm');
    const err = await client.putKeepalivedConfig('amp-perm', 'global_defs {\n}\n').catch((e: unknown) => e);
    assert.ok(err instanceof AgentRequestFailed, String(err));
    assert.equal(err.agentCode, 'LB_ERR_AGENT_PROGRAM_MISSING');
    assert.equal(err.permanent, true);
    assert.match(err.message, /keepalived is not installed/);
    // An answer about the amphora's state is not permanent: it may change by the next attempt.
    const notRunning = await client.stats('amp-perm').catch((e: unknown) => e);
    assert.ok(notRunning instanceof AgentRequestFailed, String(notRunning));
    assert.equal(notRunning.agentStatus, 409);
    assert.equal(notRunning.permanent, false);
  });

  describe('a load balancer on a host without HAProxy', () => {
    let env: AmphoraApp;
    before(async () => {
      // Five attempts, as by default: only the permanent mark makes it one.
      process.env.PATH = pathWith([]);
      env = await startProcessAmphoraApp('no-haproxy', [236, 238], 200, { jobMaxAttempts: 5 });
    });
    after(async () => {
      process.env.PATH = realPath;
      await env?.close();
    });

    test('goes to ERROR after one attempt, the fault naming haproxy', async () => {
      const created = await env.app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: env.subnetId } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.loadbalancer.id;
      const lb = await env.app.waitFor(`/v2/lbaas/loadbalancers/${id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000);
      assert.equal(lb.provisioning_status, 'ERROR');
      const jobs = await env.app.rt.database.db.selectFrom('job').select(['state', 'attempts', 'last_error']).where('load_balancer_id', '=', id).execute();
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0].state, 'failed');
      assert.equal(jobs[0].attempts, 1);
      assert.match(jobs[0].last_error ?? '', /haproxy is not installed/);
      const live = await env.app.rt.database.db.selectFrom('amphora').select('status').where('load_balancer_id', '=', id).where('status', '<>', 'DELETED').execute();
      assert.deepEqual(live, [], 'the reverts left no amphora behind');
    });
  });
});
