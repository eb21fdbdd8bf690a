// GET /metrics against a real control plane (both back ends): the text format, control-plane
// figures that move when requests, jobs, heartbeats and failovers happen, the data plane's
// totals kept across HAProxy workers and health managers, RBAC under apikey, the separate
// FULCRUM_METRICS_BIND listener, and bad input for PROMETHEUS listeners.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';
import { addProxyFigures, pruneProxyFigures } from '../../src/health/proxy-figures-store.ts';
import { reportedFigures } from '../../src/health/heartbeat-figures.ts';
import { HeartbeatReceiver } from '../../src/health/heartbeat-receiver.ts';
import { startMetricsServer } from '../../src/observability/metrics-server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { sample } from '../helpers/prometheus-text.ts';
import { addCounters } from '../../src/health/heartbeat-flush-store.ts';
import { recordEventNow } from '../../src/observability/events.ts';

async function scrape(app: TestApp, headers: Record<string, string> = {}): Promise<string> {
  const res = await app.api.inject({ method: 'GET', url: '/metrics', headers });
  assert.equal(res.statusCode, 200, res.body);
  return res.body;
}

for (const backend of BACKENDS) {
  describe(`GET /metrics (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend);
    });
    after(async () => {
      await app?.close();
    });

    test('is Prometheus text, open under noauth, whatever Accept a scraper sends', async () => {
      for (const accept of ['text/plain', 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1']) {
        const res = await app.api.inject({ method: 'GET', url: '/metrics', headers: { accept } });
        assert.equal(res.statusCode, 200, res.body);
        assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
        assert.match(res.body, /^# TYPE fulcrum_api_request_duration_seconds histogram$/m);
        assert.match(res.body, /^fulcrum_process_resident_memory_bytes \d+/m);
      }
    });

    test('API requests count by route pattern, method and status; jobs by kind and outcome; job table by state', async () => {
      const before = await scrape(app);
      const post = { method: 'POST', route: '/v2/lbaas/loadbalancers', status: '201' };
      const lb = await createActiveLoadBalancer(app);
      await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
      await app.request('GET', `/v2/lbaas/loadbalancers/${randomUUID()}`);
      const jobs = { kind: 'provider-operation', outcome: 'succeeded' };
      const finished = (text: string) => sample(text, 'fulcrum_job_duration_seconds_count', jobs) ?? 0;
      // The job is marked finished just after the load balancer settles.
      let after = await scrape(app);
      for (const deadline = Date.now() + 10_000; finished(after) === finished(before) && Date.now() < deadline; ) after = await scrape(app);
      const count = (text: string, labels: Record<string, string>) => sample(text, 'fulcrum_api_request_duration_seconds_count', labels) ?? 0;
      assert.equal(count(after, post) - count(before, post), 1);
      const getOne = { method: 'GET', route: '/v2/lbaas/loadbalancers/:id', status: '200' };
      assert.ok(count(after, getOne) - count(before, getOne) >= 1, 'waits and the GET are counted under the pattern');
      assert.equal(count(after, { ...getOne, status: '404' }) - count(before, { ...getOne, status: '404' }), 1);
      assert.doesNotMatch(after, new RegExp(`route="[^"]*${lb.id}`), 'no raw ids in route labels');
      assert.equal(finished(after) - finished(before), 1);
      // The gauges read the database at the scrape: compare them with it when nothing moved around the scrape.
      const db = app.rt.database.db;
      const counts = async () => {
        const jobsDone = await db.selectFrom('job').select((eb) => eb.fn.countAll<string>().as('n')).where('state', '=', 'succeeded').where('kind', '=', 'provider-operation').executeTakeFirstOrThrow();
        const lbs = await db.selectFrom('load_balancer').select((eb) => eb.fn.countAll<string>().as('n')).where('provisioning_status', '=', 'ACTIVE').where('operating_status', '=', lb.operating_status).executeTakeFirstOrThrow();
        return { jobs: Number(jobsDone.n), lbs: Number(lbs.n) };
      };
      for (let attempt = 0; ; attempt++) {
        const first = await counts();
        const text = await scrape(app);
        if (JSON.stringify(await counts()) !== JSON.stringify(first) && attempt < 20) continue;
        assert.equal(sample(text, 'fulcrum_jobs', { kind: 'provider-operation', state: 'succeeded' }), first.jobs);
        assert.equal(sample(text, 'fulcrum_loadbalancers', { provisioning_status: 'ACTIVE', operating_status: lb.operating_status }), first.lbs);
        break;
      }
    });

    test('failovers started and finished come from the job table', async () => {
      const lb = await createActiveLoadBalancer(app);
      const before = await scrape(app);
      const res = await app.request('PUT', `/v2/lbaas/loadbalancers/${lb.id}/failover`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      // The job is marked finished just after the load balancer settles.
      const deadline = Date.now() + 10_000;
      let after = await scrape(app);
      while (sample(after, 'fulcrum_failovers_in_progress') !== 0 && Date.now() < deadline) after = await scrape(app);
      assert.equal(sample(after, 'fulcrum_failovers_started_total')! - sample(before, 'fulcrum_failovers_started_total')!, 1);
      const done = { outcome: 'succeeded' };
      assert.equal(sample(after, 'fulcrum_failovers_finished_total', done)! - sample(before, 'fulcrum_failovers_finished_total', done)!, 1);
      assert.equal(sample(after, 'fulcrum_failovers_in_progress'), 0);
    });

    test('heartbeats received and rejected by reason; circuit breaker state per domain', async () => {
      const receiver = new HeartbeatReceiver({ keys: async () => new Map(), amphorae: async () => new Map() }, () => {}, { windowMs: 10_000, maxPerSecond: 5 }, createLogger('silent'));
      const before = await scrape(app);
      receiver.handle(Buffer.from('not a heartbeat at all'), Date.now());
      receiver.handle(Buffer.from('FHB1'), Date.now());
      const domain = `az:metrics-${backend}`;
      await sql`insert into failover_breaker (domain, open, reason, silent, total) values (${domain}, true, 'test', 3, 4)`.execute(app.rt.database.db);
      const after = await scrape(app);
      const delta = (name: string, labels: Record<string, string> = {}) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
      assert.equal(delta('fulcrum_heartbeats_received_total'), 2);
      assert.equal(delta('fulcrum_heartbeats_rejected_total', { reason: 'bad_magic' }), 1);
      assert.equal(delta('fulcrum_heartbeats_rejected_total', { reason: 'truncated' }), 1);
      assert.equal(delta('fulcrum_heartbeats_accepted_total'), 0);
      assert.equal(sample(after, 'fulcrum_circuit_breaker_open', { domain }), 1);
      assert.equal(sample(after, 'fulcrum_circuit_breaker_silent_amphorae', { domain }), 3);
      await sql`update failover_breaker set open = false where domain = ${domain}`.execute(app.rt.database.db);
      assert.equal(sample(await scrape(app), 'fulcrum_circuit_breaker_open', { domain }), 0);
    });

    test('data plane totals: a reload starts a worker at zero, repeats count once, the series go with their object', async () => {
      const lb = await createActiveLoadBalancer(app);
      const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
      assert.equal(listener.status, 201, JSON.stringify(listener.body));
      const listenerId = listener.body.listener.id;
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      const amphora = randomUUID();
      const hb = (epoch: string, m: Record<string, number>): Heartbeat => ({
        amphora_id: amphora,
        seq: 1,
        ts: Date.now(),
        haproxy: { running: true, epoch },
        proxies: [{ p: listenerId, s: 'FRONTEND', st: 'OPEN', m }],
      });
      const db = app.rt.database.db;
      const report = (epoch: string, m: Record<string, number>) => addProxyFigures(db, reportedFigures(hb(epoch, m), lb.id));
      await report('w1', { req_tot: 10, hrsp_2xx: 10, scur: 2 });
      await report('w1', { req_tot: 10, hrsp_2xx: 10, scur: 2 }); // a second manager got it too
      await report('w1', { req_tot: 14, hrsp_2xx: 13, hrsp_5xx: 1, scur: 1 });
      await report('w2', { req_tot: 3, hrsp_2xx: 3 }); // reloaded: the new worker counts from zero
      await report('w1', { req_tot: 12, hrsp_2xx: 12 }); // late heartbeat of the old worker
      const labels = { loadbalancer_id: lb.id, listener_id: listenerId };
      const text = await scrape(app);
      assert.equal(sample(text, 'fulcrum_listener_requests_total', labels), 17);
      assert.equal(sample(text, 'fulcrum_listener_responses_total', { ...labels, code: '2xx' }), 16);
      assert.equal(sample(text, 'fulcrum_listener_responses_total', { ...labels, code: '5xx' }), 1);
      // No amphora row by that id: its connections are not counted as open.
      assert.equal(sample(text, 'fulcrum_listener_active_connections', labels), 0);
      const del = await app.request('DELETE', `/v2/lbaas/listeners/${listenerId}`);
      assert.equal(del.status, 204);
      await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      await pruneProxyFigures(db);
      assert.equal(sample(await scrape(app), 'fulcrum_listener_requests_total', labels), null);
    });

    test('refusals per listener from its statistics (a reload adds, a repeat does not), on TCP and UDP listeners alike', async () => {
      const lb = await createActiveLoadBalancer(app);
      const ids: Record<string, string> = {};
      for (const [protocol, port] of [['HTTP', 81], ['UDP', 53]] as const) {
        const res = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol, protocol_port: port } });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        ids[protocol] = res.body.listener.id;
        await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      }
      const amphora = randomUUID();
      const counters = (listener: string, epoch: string, conns: number, reqs: number) => ({
        listener_id: listener, amphora_id: amphora, load_balancer_id: lb.id, epoch,
        bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0, refused_connections: conns, refused_requests: reqs,
      });
      const db = app.rt.database.db;
      await addCounters(db, [counters(ids.HTTP, 'w1', 4, 30), counters(ids.UDP, 'w1', 7, 0)]);
      await addCounters(db, [counters(ids.HTTP, 'w1', 4, 30)]); // a second manager got it too
      await addCounters(db, [counters(ids.HTTP, 'w2', 1, 5)]); // reloaded: the new worker counts from zero
      const text = await scrape(app);
      const http = { loadbalancer_id: lb.id, listener_id: ids.HTTP, protocol: 'HTTP' };
      const udp = { loadbalancer_id: lb.id, listener_id: ids.UDP, protocol: 'UDP' };
      assert.equal(sample(text, 'fulcrum_listener_refused_connections_total', http), 5);
      assert.equal(sample(text, 'fulcrum_listener_refused_requests_total', http), 35);
      assert.equal(sample(text, 'fulcrum_listener_refused_connections_total', udp), 7);
      assert.match(text, /^# TYPE fulcrum_listener_refused_requests_total counter$/m);
    });

    test('events by type and severity, webhook deliveries by outcome and failed attempts, from the database', async () => {
      const db = app.rt.database.db;
      const before = await scrape(app);
      const lbId = randomUUID();
      for (const type of ['member.error', 'member.error', 'listener.refusing']) await recordEventNow(db, { type, projectId: 'project-metrics', loadBalancerId: lbId, detail: {} });
      const hook = randomUUID();
      await sql`insert into webhook (id, project_id, url, sealed_secret) values (${hook}, 'project-metrics', 'http://127.0.0.1:9/', 'sealed')`.execute(db);
      const events = await db.selectFrom('event').select('id').where('load_balancer_id', '=', lbId).execute();
      const deliveries: [string, number][] = [['delivered', 1], ['delivered', 3], ['dead', 5]];
      for (const [i, [status, attempts]] of deliveries.entries()) {
        await sql`insert into webhook_delivery (id, webhook_id, event_id, status, attempts) values (${randomUUID()}, ${hook}, ${events[i].id}, ${status}, ${attempts})`.execute(db);
      }
      const after = await scrape(app);
      const delta = (name: string, labels: Record<string, string> = {}) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
      assert.equal(delta('fulcrum_events_total', { type: 'member.error', severity: 'error' }), 2);
      assert.equal(delta('fulcrum_events_total', { type: 'listener.refusing', severity: 'warning' }), 1);
      assert.equal(delta('fulcrum_webhook_deliveries_total', { outcome: 'delivered' }), 2);
      assert.equal(delta('fulcrum_webhook_deliveries_total', { outcome: 'dead' }), 1);
      // 1 + 3 + 5 attempts, of which the two deliveries' last succeeded.
      assert.equal(delta('fulcrum_webhook_failed_attempts_total'), 7);
      assert.equal(delta('fulcrum_webhook_deliveries_pending'), 0);
      await sql`delete from webhook where id = ${hook}`.execute(db);
    });

    test('FULCRUM_METRICS_BIND serves /metrics alone, without credentials', async () => {
      const server = await startMetricsServer(app.rt.database.db, { host: '127.0.0.1', port: 0 }, createLogger('silent'));
      try {
        const base = `http://127.0.0.1:${server.port}`;
        const ok = await fetch(`${base}/metrics`);
        assert.equal(ok.status, 200);
        const text = await ok.text();
        assert.match(text, /^# TYPE fulcrum_jobs gauge$/m);
        assert.match(text, /^fulcrum_api_request_duration_seconds_count\{/m);
        assert.equal((await fetch(`${base}/v2/lbaas/loadbalancers`)).status, 404);
        assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
      } finally {
        await server.close();
      }
    });

    test('PROMETHEUS listeners: no default pool, no pools, no headers, no port clash; faults, nothing written', async () => {
      const lb = await createActiveLoadBalancer(app);
      const wait = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
      const http = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 8080 } });
      assert.equal(http.status, 201);
      await wait();
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(pool.status, 201);
      await wait();
      const prom = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 9100 } });
      assert.equal(prom.status, 201, JSON.stringify(prom.body));
      await wait();
      const promId = prom.body.listener.id;
      const count = async () => (await app.request('GET', `/v2/lbaas/listeners?loadbalancer_id=${lb.id}`)).body.listeners.length;
      const before = await count();
      const cases: [string, string, unknown, number, RegExp][] = [
        ['POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 9101, default_pool_id: pool.body.pool.id } }, 400, /Protocol PROMETHEUS listeners cannot have child objects/],
        ['POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 9102, insert_headers: { 'X-Forwarded-For': 'true' } } }, 400, /insert.headers/i],
        ['POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 8080 } }, 409, /already using protocol/],
        ['POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'PROMETHEUS', protocol_port: 0 } }, 400, /protocol_port/],
        ['PUT', `/v2/lbaas/listeners/${promId}`, { listener: { default_pool_id: pool.body.pool.id } }, 400, /Protocol PROMETHEUS listeners cannot have child objects/],
        ['POST', '/v2/lbaas/pools', { pool: { listener_id: promId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 400, /Protocol PROMETHEUS listeners cannot have child objects/],
        ['POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: promId, action: 'REJECT' } }, 400, /Protocol PROMETHEUS listeners cannot have child objects/],
      ];
      for (const [method, path, body, status, message] of cases) {
        const res = await app.request(method, path, body);
        assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
        assert.deepEqual(Object.keys(res.body).sort(), ['debuginfo', 'faultcode', 'faultstring']);
        assert.match(res.body.faultstring, message);
      }
      assert.equal(await count(), before, 'no listener was written');
      const after = await app.request('GET', `/v2/lbaas/listeners/${promId}`);
      assert.equal(after.body.listener.default_pool_id, null);
      assert.equal((await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
    });
  });

  describe(`GET /metrics under apikey (${backend})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(backend, { config: { authStrategy: 'apikey' } });
    });
    after(async () => {
      await app?.close();
    });

    test('administrators only: others get the policy fault, no key gets 401', async () => {
      const key = async (roles: string[]) => (await createApiKey(app.rt.database.db, { projectId: 'project-m', roles, name: roles.join('+') })).key;
      for (const roles of [['load-balancer_member'], ['load-balancer_global_observer'], ['member', 'reader']]) {
        const res = await app.api.inject({ method: 'GET', url: '/metrics', headers: { 'x-auth-token': await key(roles) } });
        assert.equal(res.statusCode, 403, roles.join());
        assert.equal(res.json().faultstring, 'Policy does not allow this request to be performed.');
      }
      assert.equal((await app.api.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      for (const roles of [['admin'], ['load-balancer_admin']]) {
        const text = await scrape(app, { 'x-auth-token': await key(roles) });
        assert.match(text, /^# TYPE fulcrum_jobs gauge$/m, roles.join());
      }
    });
  });
}
