// Load balancer diagnostics and the operator actions, on the process compute driver with real
// HAProxy and a real agent over mutual TLS: a healthy load balancer passes every check (also
// through `fulcrum lb diagnose`, exit 0); a configuration changed on the agent behind the
// controller's back is drift, and `resync` puts the pushed one back; HAProxy stopped through
// the agent fails the haproxy check until a resync starts it again; `rebuild` replaces the
// amphora; the agent killed by its PID fails the agent check, and once the health manager
// finds its host silent, the host check before it (the CLI exits 1). Only
// administrators may ask (403), an unknown load balancer is 404, a PENDING one is 409.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, startBackend, type Backend } from '../helpers/data-plane.ts';
import { until } from '../helpers/heartbeat-fleet.ts';
import { runFulcrum } from '../helpers/fulcrum-serve.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';
import { AgentClient } from '../../src/amphora/agent-client.ts';
import { controllerCa, controllerClientTls } from '../../src/pki/ca-store.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';
import { pidRunning } from '../../src/agent/process-table.ts';

interface Check {
  name: string;
  status: string;
  detail: string;
}

describe('load balancer diagnostics (process driver, real HAProxy)', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let backend: Backend;
  let lbId: string;
  let vipUrl: string;
  let apiUrl: string;
  let agentClient: AgentClient;
  const keys = { admin: '', member: '' };
  const as = (token: string) => (method: string, path: string) => app.request(method, path, undefined, { 'x-auth-token': token });
  const admin = () => as(keys.admin);
  const diagnostics = async () => {
    const res = await admin()('GET', `/v2/fulcrum/loadbalancers/${lbId}/diagnostics`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.diagnostics;
  };
  const amphora = async () => (await diagnostics()).amphorae[0] as { id: string; agent_url: string; checks: Check[] };
  const checkOf = (a: { checks: Check[] }, name: string) => a.checks.find((c) => c.name === name)!;
  const settle = () => until('the load balancer ACTIVE', async () => (await admin()('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status === 'ACTIVE', 60_000);
  const serves = () => until('the VIP to serve', async () => (await fetchText(vipUrl).catch(() => '')) === 'diag-be', 20_000);
  const healthy = () => until('every check to pass', async () => (await diagnostics()).broken_at === null, 30_000);

  before(async () => {
    env = await startProcessAmphoraApp('diag', [160, 200], 200, { authStrategy: 'apikey', heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2000, localAgentWatchMs: 0 });
    app = env.app;
    keys.admin = env.adminKey!;
    keys.member = (await createApiKey(app.rt.database.db, { projectId: 'tenant', roles: ['load-balancer_member'], name: 'member' })).key;
    backend = await startBackend('diag-be');
    const tree = {
      loadbalancer: {
        project_id: 'tenant',
        vip_subnet_id: env.subnetId,
        listeners: [{ protocol: 'HTTP', protocol_port: 8080, default_pool: { name: 'diag-pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] } }],
      },
    };
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', tree, { 'x-auth-token': keys.admin });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    lbId = created.body.loadbalancer.id;
    vipUrl = `http://${created.body.loadbalancer.vip_address}:8080/`;
    await settle();
    await serves();
    const address = await app.api.listen({ host: '127.0.0.1', port: 0 });
    apiUrl = address;
    const ca = await controllerCa(app.rt.database.db, secretStoreFor(app.rt.config));
    const [row] = await app.rt.database.db.selectFrom('amphora').select('agent_url').where('load_balancer_id', '=', lbId).execute();
    agentClient = new AgentClient({ url: row.agent_url!, tls: await controllerClientTls(ca) });
  });

  after(async () => {
    await agentClient?.close();
    await env?.close();
    await backend?.close();
  });

  test('a healthy load balancer: every check passes, the CLI prints them and exits 0', async () => {
    await healthy();
    const d = await diagnostics();
    assert.equal(d.loadbalancer.id, lbId);
    assert.ok(d.jobs.length >= 1 && d.jobs.every((j: { load_balancer_id: string }) => j.load_balancer_id === lbId));
    assert.equal(d.amphorae.length, 1);
    const a = d.amphorae[0];
    for (const name of ['record', 'compute', 'host', 'agent', 'haproxy', 'config', 'servers', 'heartbeat']) assert.equal(checkOf(a, name).status, 'ok', `${name}: ${checkOf(a, name).detail}`);
    const host = checkOf(a, 'host').detail;
    assert.ok(host.startsWith(`${app.rt.config.hostName} (`), host);
    assert.match(host, /^\S+ \([0-9a-f-]{36}\), ENABLED, ONLINE, its agent last reached \d+ ms ago$/);
    assert.equal(checkOf(a, 'vrrp').status, 'skipped', 'SINGLE has no VRRP');
    assert.match(checkOf(a, 'haproxy').detail, /master pid \d+, up \d+ s, \d+ worker/);
    assert.equal(checkOf(a, 'servers').detail, '1 no check', 'one member, no health monitor');
    const onDisk = readFileSync(join(env.dataDir, 'agent', 'run', a.id, 'haproxy.cfg'));
    assert.equal(checkOf(a, 'config').detail, `sha256 ${createHash('sha256').update(onDisk).digest('hex')}`);

    const cli = await runFulcrum(['lb', 'diagnose', lbId], { FULCRUM_API_URL: apiUrl, FULCRUM_API_KEY: keys.admin });
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`^load balancer ${lbId}`));
    assert.match(cli.stdout, /\n {2}ok +agent +https:\/\/127\.0\.0\.1:\d+ answered in \d+ ms\n/);
    assert.match(cli.stdout, /no check failed\n$/);
  });

  test('only administrators: the owner gets 403; an unknown load balancer is 404', async () => {
    for (const action of [['GET', 'diagnostics'], ['POST', 'resync'], ['POST', 'rebuild']]) {
      const res = await as(keys.member)(action[0], `/v2/fulcrum/loadbalancers/${lbId}/${action[1]}`);
      assert.equal(res.status, 403, `${action[1]}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.faultstring);
      const unknown = await admin()(action[0], `/v2/fulcrum/loadbalancers/${randomUUID()}/${action[1]}`);
      assert.equal(unknown.status, 404, action[1]);
      assert.match(unknown.body.faultstring, /Load Balancer .* not found/);
    }
    assert.equal((await admin()('GET', '/v2/fulcrum/loadbalancers/not-an-id/diagnostics')).status, 404);
    const cli = await runFulcrum(['lb', 'diagnose', lbId], { FULCRUM_API_URL: apiUrl, FULCRUM_API_KEY: keys.member });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /403/);
  });

  test('configuration drift shows as a checksum mismatch; resync pushes the configuration again', async () => {
    const a = await amphora();
    const current = readFileSync(join(env.dataDir, 'agent', 'run', a.id, 'haproxy.cfg'), 'utf8');
    await agentClient.putHaproxyConfig(a.id, `${current}\n# changed behind the controller's back\n`);
    const drifted = await diagnostics();
    assert.equal(drifted.broken_at, `amphora:${a.id}:config`);
    assert.match(checkOf(drifted.amphorae[0], 'config').detail, /^drift: running sha256 [0-9a-f]{64}, pushed sha256 [0-9a-f]{64}$/);

    const resync = await admin()('POST', `/v2/fulcrum/loadbalancers/${lbId}/resync`);
    assert.equal(resync.status, 202, JSON.stringify(resync.body));
    assert.equal(resync.body.job.load_balancer_id, lbId);
    assert.equal(resync.body.job.operation.action, 'update');
    const again = await admin()('POST', `/v2/fulcrum/loadbalancers/${lbId}/resync`);
    assert.equal(again.status, 409, 'the load balancer is PENDING_UPDATE while the resync runs');
    assert.match(again.body.faultstring, /Invalid state PENDING_UPDATE/);
    await settle();
    await healthy();
    assert.equal(readFileSync(join(env.dataDir, 'agent', 'run', a.id, 'haproxy.cfg'), 'utf8'), current);
    await serves();
  });

  test('HAProxy stopped: the haproxy check fails and names it; resync starts it again', async () => {
    const a = await amphora();
    await agentClient.stopHaproxy(a.id);
    const down = await diagnostics();
    assert.equal(down.broken_at, `amphora:${a.id}:haproxy`);
    assert.match(checkOf(down.amphorae[0], 'haproxy').detail, /^not running/);
    assert.equal(checkOf(down.amphorae[0], 'servers').status, 'skipped');
    assert.equal((await admin()('POST', `/v2/fulcrum/loadbalancers/${lbId}/resync`)).status, 202);
    await settle();
    await healthy();
    await serves();
  });

  test('rebuild replaces the amphora through a failover, and the new one is healthy', async () => {
    const before = await amphora();
    const rebuild = await admin()('POST', `/v2/fulcrum/loadbalancers/${lbId}/rebuild`);
    assert.equal(rebuild.status, 202, JSON.stringify(rebuild.body));
    assert.equal(rebuild.body.job.operation.action, 'failover');
    await settle();
    await healthy();
    const after = await amphora();
    assert.notEqual(after.id, before.id);
    await serves();
  });

  test('the agent killed: the agent check fails, what only it can tell is skipped, the CLI exits 1', async () => {
    const pid = Number(readFileSync(join(env.dataDir, 'agent', 'agent.pid'), 'utf8').trim());
    assert.ok(pidRunning(pid));
    process.kill(pid, 'SIGKILL');
    await until('the agent gone', async () => !pidRunning(pid), 10_000);
    const d = await diagnostics();
    const a = d.amphorae[0];
    assert.equal(d.broken_at, `amphora:${a.id}:agent`);
    assert.match(checkOf(a, 'agent').detail, /unreachable|could not be reached|did not answer|dropped the connection/);
    for (const name of ['haproxy', 'config', 'servers']) assert.equal(checkOf(a, name).status, 'skipped', name);
    // Silent past the heartbeat timeout, the host goes OFFLINE: now the host is where it breaks.
    let offline = d;
    await until(
      'the host OFFLINE',
      async () => {
        offline = await diagnostics();
        return offline.broken_at === `amphora:${a.id}:host` && checkOf(offline.amphorae[0], 'host').detail.includes(', OFFLINE:');
      },
      20_000,
    );
    const host = checkOf(offline.amphorae[0], 'host').detail;
    assert.ok(host.startsWith(`${app.rt.config.hostName} (`), host);
    assert.match(host, /^\S+ \([0-9a-f-]{36}\), ENABLED, OFFLINE: its agent last reached \d+ ms ago \(timeout 2000 ms\)$/);
    const cli = await runFulcrum(['lb', 'diagnose', lbId], { FULCRUM_API_URL: apiUrl, FULCRUM_API_KEY: keys.admin });
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stdout, new RegExp(`\\n {2}FAILED +host +${app.rt.config.hostName} `));
    assert.match(cli.stdout, /\n {2}FAILED +agent /);
    assert.match(cli.stdout, new RegExp(`broken at: amphora:${a.id}:host\\n$`));
  });
});
