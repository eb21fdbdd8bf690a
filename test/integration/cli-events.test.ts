// `fulcrum events` against a running API (a real port): the table of the latest events, the
// filters passed on, a fault reported as an error, and --follow printing an event recorded
// after it started, once, until interrupted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { cleanEnv, ROOT, runFulcrum } from '../helpers/fulcrum-serve.ts';
import { recordEventNow } from '../../src/observability/events.ts';

describe('fulcrum events', () => {
  let app: TestApp;
  let url: string;
  const lb = randomUUID();

  before(async () => {
    app = await startTestApp('pglite', { worker: false });
    url = await app.api.listen({ host: '127.0.0.1', port: 0 });
    const db = app.rt.database.db;
    await recordEventNow(db, { type: 'member.error', projectId: 'project-a', loadBalancerId: lb, detail: { member_id: 'm-1', loadbalancer_id: lb } });
    await recordEventNow(db, { type: 'quota.reached', projectId: 'project-a', loadBalancerId: null, detail: { resources: ['Pool'] } });
  });
  after(async () => app?.close());

  test('lists the latest events as a table, narrowed by --loadbalancer and --type', async () => {
    const all = await runFulcrum(['events'], { FULCRUM_API_URL: url });
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n');
    assert.equal(lines.length, 3, all.stdout);
    assert.match(lines[1], /WARNING\s+quota\.reached|ERROR\s+member\.error/);
    const one = await runFulcrum(['events', '--loadbalancer', lb, '--type', 'member.error'], { FULCRUM_API_URL: url });
    assert.equal(one.code, 0, one.stderr);
    const rows = one.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 1);
    assert.match(rows[0], new RegExp(`ERROR\\s+member\\.error\\s+${lb}\\s+member_id=m-1$`));
  });

  test('a refused filter is an error with the API fault, not an empty list', async () => {
    const bad = await runFulcrum(['events', '--type', 'member.exploded'], { FULCRUM_API_URL: url });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /400 Invalid input for field\/attribute type/);
    const down = await runFulcrum(['events'], { FULCRUM_API_URL: 'http://127.0.0.1:9' });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach the Fulcrum API at http:\/\/127\.0\.0\.1:9/);
  });

  test('--follow prints an event recorded after it started, once, until interrupted', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fulcrum.js'), 'events', '--follow', '--interval', '200', '--type', 'failover.started'], {
      cwd: ROOT,
      env: cleanEnv({ FULCRUM_API_URL: url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const waitFor = async (re: RegExp) => {
        const deadline = Date.now() + 20_000;
        while (!re.test(out)) {
          if (Date.now() > deadline) throw new Error(`no ${re} in: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await waitFor(/^TIME\s+SEVERITY/m);
      await recordEventNow(app.rt.database.db, { type: 'failover.started', projectId: 'project-a', loadBalancerId: lb, detail: { amphora_id: 'a-1', automatic: true } });
      await waitFor(/failover\.started/);
      // Several polls later, still once.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(out.match(/failover\.started/g)?.length, 1, out);
      assert.match(out, /WARNING\s+failover\.started\s+\S+\s+(automatic=true amphora_id=a-1|amphora_id=a-1 automatic=true)$/m);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, 'an interrupted follow ends cleanly');
  });
});
