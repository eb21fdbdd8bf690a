// Access logs end to end on the process compute driver: real requests through a real HAProxy
// show up in GET /v2/fulcrum/loadbalancers/{id}/logs with their exact request line, a follower
// receives a line for a request made after it started, a flood never grows the agent's files
// past their bound, and the offload copy reaches a syslog receiver on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';
import { spawn } from 'node:child_process';
import { cleanEnv, ROOT, runFulcrum } from '../helpers/fulcrum-serve.ts';

const LOG_BYTES = 65_536;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('access logs of a load balancer on the process compute driver', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backend: Backend;
  let syslog: Socket;
  const received: string[] = [];
  let lbId = '';
  let listenerId = '';
  let vipUrl = '';
  let apiBase = '';

  before(async () => {
    syslog = createSocket('udp4');
    syslog.on('message', (msg) => received.push(msg.toString('utf8')));
    await new Promise<void>((resolve) => syslog.bind(0, '127.0.0.1', resolve));
    env = await startProcessAmphoraApp('access-logs', [2, 250], 300, {
      logOffload: `udp://127.0.0.1:${syslog.address().port}`,
      logOffloadFormat: 'rfc5424',
      accessLogBytes: LOG_BYTES,
    });
    app = env.app;
    backend = await startBackend('be1');
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'logged',
        vip_subnet_id: env.subnetId,
        listeners: [{ protocol: 'HTTP', protocol_port: 8080, default_pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] } }],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    lbId = created.body.loadbalancer.id;
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
    assert.equal(lb.provisioning_status, 'ACTIVE');
    listenerId = lb.listeners[0].id;
    vipUrl = `http://${lb.vip_address}:8080`;
    const address = await app.api.listen({ host: '127.0.0.1', port: 0 });
    apiBase = address;
  });

  after(async () => {
    await env?.close();
    await backend?.close();
    syslog?.close();
  });

  async function logs(query = ''): Promise<{ time: string; amphora_id: string; listener_id: string; message: string }[]> {
    const res = await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/logs${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.logs;
  }

  async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  test('a request through the VIP appears with its exact request line, listener, amphora and time', async () => {
    const started = Date.now();
    assert.equal(await fetchText(`${vipUrl}/hello/logs?x=1`), 'be1');
    const line = await eventually('the access-log line', async () => (await logs()).find((l) => l.message.includes('"GET /hello/logs?x=1 HTTP/1.1" 200 ')));
    assert.equal(line.listener_id, listenerId);
    const [amphora] = await app.rt.database.db.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).execute();
    assert.equal(line.amphora_id, amphora.id);
    assert.ok(Math.abs(Date.parse(line.time) - started) < 60_000, line.time);
    // Octavia's fields: project, load balancer, then the frontend (the listener id).
    const lb = (await app.request('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer;
    assert.ok(line.message.startsWith(`${lb.project_id} ${lbId} ${listenerId} 127.0.0.1 `), line.message);
    // since: a time after the request leaves it out.
    assert.ok(!(await logs(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).some((l) => l.message.includes('/hello/logs')));
    assert.equal((await logs('?limit=1')).length, 1);
  });

  test('the offload copy reaches a syslog receiver on loopback', async () => {
    await fetchText(`${vipUrl}/offloaded`);
    const copy = await eventually('the offloaded message', async () => received.find((m) => m.includes('"GET /offloaded HTTP/1.1" 200')));
    assert.match(copy, /^<134>1 \d{4}-\d{2}-\d{2}T[\d:.]+Z \S+ \S+ - - - /, copy);
  });

  test('follow mode streams a line for a request made after it started', async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${apiBase}/v2/fulcrum/loadbalancers/${lbId}/logs?follow=true&limit=1`, { headers: { accept: 'application/x-ndjson' } }, resolve);
      req.on('error', reject);
      req.end();
    });
    try {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      await sleep(500);
      await fetchText(`${vipUrl}/after-follow-started`);
      const line = await eventually('the followed line', async () => text.split('\n').find((l) => l.includes('/after-follow-started')));
      const parsed = JSON.parse(line);
      assert.deepEqual(Object.keys(parsed).sort(), ['amphora_id', 'listener_id', 'message', 'time']);
      assert.equal(parsed.listener_id, listenerId);
    } finally {
      res.destroy();
    }
  });

  test('fulcrum lb logs prints the lines; --follow prints a new one', async () => {
    await fetchText(`${vipUrl}/seen-by-the-cli`);
    await eventually('the line', async () => (await logs()).find((l) => l.message.includes('/seen-by-the-cli')));
    const once = await runFulcrum(['lb', 'logs', lbId, '--limit', '1000'], { FULCRUM_API_URL: apiBase });
    assert.equal(once.code, 0, once.stderr);
    const printed = once.stdout.split('\n').find((l) => l.includes('"GET /seen-by-the-cli HTTP/1.1" 200'));
    assert.ok(printed, once.stdout);
    assert.match(printed, new RegExp(`^\\d{4}-\\d{2}-\\d{2}T\\S+Z ${listenerId} `));
    const bad = await runFulcrum(['lb', 'logs', lbId, '--since', 'soon'], { FULCRUM_API_URL: apiBase });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /400.*since/);

    const child = spawn(process.execPath, [join(ROOT, 'bin/fulcrum.js'), 'lb', 'logs', lbId, '--follow', '--limit', '1'], { cwd: ROOT, env: cleanEnv({ FULCRUM_API_URL: apiBase }), stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      await eventually('the follower to start', async () => (out.length > 0 ? true : undefined), 20_000);
      await fetchText(`${vipUrl}/followed-by-the-cli`);
      await eventually('the followed line in the CLI', async () => (out.includes('"GET /followed-by-the-cli HTTP/1.1" 200') ? true : undefined));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('bad parameters get Octavia faults', async () => {
    for (const query of ['?since=yesterday', '?since=2026-13-45T99:00:00Z', '?limit=0', '?limit=abc', '?limit=100000', '?follow=maybe', '?colour=blue', '?limit=1&limit=2']) {
      const res = await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/logs${query}`);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.faultstring, 'string', query);
      assert.ok('faultcode' in res.body && 'debuginfo' in res.body, query);
    }
    assert.equal((await app.request('GET', '/v2/fulcrum/loadbalancers/not-a-uuid/logs')).status, 404);
    assert.equal((await app.request('GET', '/v2/fulcrum/loadbalancers/00000000-0000-4000-8000-000000000000/logs')).status, 404);
  });

  test('a flood of requests never grows the access log past its bound', async () => {
    const [amphora] = await app.rt.database.db.selectFrom('amphora').select('run_dir').where('load_balancer_id', '=', lbId).execute();
    const files = [join(amphora.run_dir!, 'access.log'), join(amphora.run_dir!, 'access.log.1')];
    const size = (p: string) => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    let largest = 0;
    const total = 1500;
    let next = 0;
    // Bounded: `total` requests over 8 connections, to the loopback VIP only.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const i = next++;
          // The bound is on the log, not on latency: a loaded machine may take seconds for one.
          await fetchText(`${vipUrl}/flood/${i}`, 15_000);
          if (i % 100 === 0) largest = Math.max(largest, size(files[0]) + size(files[1]));
        }
      }),
    );
    await eventually('the last flood lines', async () => ((await logs('?limit=1000')).some((l) => l.message.includes(`/flood/${total - 1} `)) ? true : undefined));
    largest = Math.max(largest, size(files[0]) + size(files[1]));
    assert.ok(largest <= LOG_BYTES, `access log files reached ${largest} bytes, bound ${LOG_BYTES}`);
    assert.ok(size(files[1]) > 0, 'the log rotated (the flood was larger than the bound)');
    // What is kept is the newest: the first flood lines are gone, the last ones are there.
    const kept = await logs('?limit=1000');
    assert.ok(!kept.some((l) => l.message.includes('/flood/0 ')), 'the oldest lines left');
    assert.ok(kept.length < total, `kept ${kept.length} of ${total}`);
  });
});
