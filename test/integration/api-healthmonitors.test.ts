// Health monitor contract on both back ends: create/update/delete through the worker, the
// pool and LB locks, type rules and defaults, PUT null rules, the members' operating statuses
// a monitor drives, and list filters, tags and field selection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';

const MISSING = '00000000-0000-4000-8000-0000000000ee';
const HMS = '/v2/lbaas/healthmonitors';

for (const backend of BACKENDS) {
  describe(`health monitors (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    let port = 9000;
    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
    });
    after(async () => app?.close());

    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');
    const lbStatus = async () => (await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status;
    const getPool = async (id: string) => (await app.request('GET', `/v2/lbaas/pools/${id}`)).body.pool;

    async function newPool(protocol = 'HTTP', withListener = false): Promise<{ pool: any; listenerId: string | null }> {
      let listenerId: string | null = null;
      if (withListener) {
        const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol, protocol_port: port++ } });
        assert.equal(listener.status, 201, JSON.stringify(listener.body));
        listenerId = listener.body.listener.id;
        await settle();
      }
      const owner = listenerId ? { listener_id: listenerId } : { loadbalancer_id: lb.id };
      const res = await app.request('POST', '/v2/lbaas/pools', { pool: { ...owner, protocol, lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return { pool: res.body.pool, listenerId };
    }

    async function createMonitor(monitor: Record<string, unknown>): Promise<any> {
      const res = await app.request('POST', HMS, { healthmonitor: { delay: 5, timeout: 3, max_retries: 2, ...monitor } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      await settle();
      return res.body.healthmonitor;
    }

    test('an HTTP monitor gets the HTTP defaults, locks LB, pool and listener, and settles ACTIVE/ONLINE', async () => {
      const { pool, listenerId } = await newPool('HTTP', true);
      await app.setWorker(false);
      let hm: any;
      try {
        const res = await app.request('POST', HMS, {
          healthmonitor: { pool_id: pool.id, type: 'HTTP', delay: 10, timeout: 5, max_retries: 3, name: 'probe', tags: ['h'], tenant_id: 'ignored' },
        });
        assert.equal(res.status, 201);
        hm = res.body.healthmonitor;
        assert.deepEqual(Object.keys(hm).sort(), [
          'admin_state_up', 'created_at', 'delay', 'domain_name', 'expected_codes', 'http_method', 'http_version', 'id', 'max_retries',
          'max_retries_down', 'name', 'operating_status', 'pools', 'project_id', 'provisioning_status', 'tags', 'tenant_id', 'timeout',
          'type', 'updated_at', 'url_path',
        ]);
        assert.equal(hm.provisioning_status, 'PENDING_CREATE');
        assert.equal(hm.operating_status, 'OFFLINE');
        assert.deepEqual(hm.pools, [{ id: pool.id }]);
        assert.equal(hm.project_id, 'project-a');
        assert.equal(hm.tenant_id, 'project-a');
        assert.equal(hm.http_method, 'GET');
        assert.equal(hm.url_path, '/');
        assert.equal(hm.expected_codes, '200');
        assert.equal(hm.max_retries_down, 3);
        assert.equal(hm.http_version, null);
        assert.equal(hm.domain_name, null);
        assert.equal(await lbStatus(), 'PENDING_UPDATE');
        assert.equal((await getPool(pool.id)).provisioning_status, 'PENDING_UPDATE');
        assert.equal((await app.request('GET', `/v2/lbaas/listeners/${listenerId}`)).body.listener.provisioning_status, 'PENDING_UPDATE');
        const blocked = await app.request('PUT', `${HMS}/${hm.id}`, { healthmonitor: { delay: 20 } });
        assert.equal(blocked.status, 409);
        assert.equal(blocked.body.faultstring, `Load Balancer ${lb.id} is immutable and cannot be updated.`);
      } finally {
        await app.setWorker(true);
      }
      await settle();
      const active = await app.waitFor(`${HMS}/${hm.id}`, 'healthmonitor');
      assert.equal(active.provisioning_status, 'ACTIVE');
      assert.equal(active.operating_status, 'ONLINE');
      assert.equal(active.delay, 10, 'the refused update was not written');
      const p = await getPool(pool.id);
      assert.equal(p.provisioning_status, 'ACTIVE');
      assert.equal(p.healthmonitor_id, hm.id);
      assert.equal((await app.request('GET', `/v2/lbaas/listeners/${listenerId}`)).body.listener.provisioning_status, 'ACTIVE');
      const tree = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}/status`);
      const node = tree.body.statuses.loadbalancer.listeners.find((l: any) => l.id === listenerId).pools[0];
      assert.deepEqual(node.health_monitor, { id: hm.id, name: 'probe', type: 'HTTP', operating_status: 'ONLINE', provisioning_status: 'ACTIVE' });

      const second = await app.request('POST', HMS, { healthmonitor: { pool_id: pool.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } });
      assert.equal(second.status, 409);
      assert.equal(second.body.faultstring, 'This pool already has a health monitor');
      assert.equal(await lbStatus(), 'ACTIVE');
    });

    test('the monitor drives member operating statuses: OFFLINE under a monitor, NO_MONITOR once it is deleted', async () => {
      const { pool } = await newPool();
      const members = `/v2/lbaas/pools/${pool.id}/members`;
      const early = await app.request('POST', members, { member: { address: '192.0.2.50', protocol_port: 80 } });
      assert.equal(early.body.member.operating_status, 'NO_MONITOR');
      await settle();
      const hm = await createMonitor({ pool_id: pool.id, type: 'TCP' });
      assert.equal((await app.waitFor(`${HMS}/${hm.id}`, 'healthmonitor')).operating_status, 'ONLINE');
      const late = await app.request('POST', members, { member: { address: '192.0.2.51', protocol_port: 80 } });
      assert.equal(late.body.member.operating_status, 'OFFLINE');
      await settle();
      assert.equal((await app.request('GET', `${members}/${late.body.member.id}`)).body.member.operating_status, 'OFFLINE');

      const del = await app.request('DELETE', `${HMS}/${hm.id}`);
      assert.equal(del.status, 204);
      await settle();
      const gone = await app.request('GET', `${HMS}/${hm.id}`);
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, { faultcode: 'Client', faultstring: `Health Monitor ${hm.id} not found.`, debuginfo: null });
      const statuses = (await app.request('GET', members)).body.members.map((m: any) => m.operating_status);
      assert.deepEqual(statuses, ['NO_MONITOR', 'NO_MONITOR']);
      const p = await getPool(pool.id);
      assert.ok(!('healthmonitor_id' in p));
      assert.equal(p.provisioning_status, 'ACTIVE');
      const next = await app.request('POST', members, { member: { address: '192.0.2.52', protocol_port: 80 } });
      assert.equal(next.body.member.operating_status, 'NO_MONITOR');
      await settle();
    });

    test('an admin-down monitor settles OFFLINE, and ONLINE again when enabled', async () => {
      const { pool } = await newPool();
      const hm = await createMonitor({ pool_id: pool.id, type: 'PING', admin_state_up: false });
      assert.equal((await app.waitFor(`${HMS}/${hm.id}`, 'healthmonitor')).operating_status, 'OFFLINE');
      const up = await app.request('PUT', `${HMS}/${hm.id}`, { healthmonitor: { admin_state_up: true } });
      assert.equal(up.status, 200);
      assert.equal(up.body.healthmonitor.provisioning_status, 'PENDING_UPDATE');
      await settle();
      assert.equal((await app.waitFor(`${HMS}/${hm.id}`, 'healthmonitor')).operating_status, 'ONLINE');
    });

    test('types: HTTP-only fields, pool compatibility, UDP-CONNECT delay, http_version and domain_name', async () => {
      const { pool: http } = await newPool('HTTP');
      const { pool: udp } = await newPool('UDP');
      const cases: [Record<string, unknown>, string][] = [
        [{ pool_id: http.id, type: 'TCP', http_method: 'GET' }, 'http_method is not a valid option for health monitors of type TCP'],
        [{ pool_id: http.id, type: 'PING', url_path: '/x' }, 'url_path is not a valid option for health monitors of type PING'],
        [{ pool_id: http.id, type: 'TLS-HELLO', expected_codes: '200' }, 'expected_codes is not a valid option for health monitors of type TLS-HELLO'],
        [{ pool_id: http.id, type: 'UDP-CONNECT' }, 'Validation failure: The UDP-CONNECT type is only supported for pools of type UDP/SCTP.'],
        [{ pool_id: http.id, type: 'SCTP' }, 'Validation failure: The SCTP type is only supported for pools of type UDP/SCTP.'],
        [{ pool_id: udp.id, type: 'PING' }, 'Validation failure: The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.'],
        [{ pool_id: udp.id, type: 'UDP-CONNECT', delay: 2 }, 'Validation failure: The request delay value 2 should be larger than 3 for UDP-CONNECT health monitor type.'],
        [{ pool_id: http.id, type: 'HTTP', domain_name: 'www.example.com' }, "Validation failure: 'http_version' must be specified when 'domain_name' is provided."],
        [{ pool_id: http.id, type: 'HTTP', domain_name: 'www.example.com', http_version: 1.0 }, 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check'],
      ];
      for (const [monitor, message] of cases) {
        const res = await app.request('POST', HMS, { healthmonitor: { delay: 5, timeout: 3, max_retries: 2, ...monitor } });
        assert.equal(res.status, 400, JSON.stringify(monitor));
        assert.equal(res.body.faultstring, message);
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      assert.deepEqual((await app.request('GET', `${HMS}?pool_id=${http.id}`)).body.healthmonitors, [], 'nothing written');

      const tcp = await createMonitor({ pool_id: http.id, type: 'TCP', http_method: null });
      assert.equal(tcp.http_method, null);
      assert.equal(tcp.url_path, null);
      assert.equal(tcp.expected_codes, null);
      const udpHm = await createMonitor({ pool_id: udp.id, type: 'UDP-CONNECT', delay: 3 });
      assert.equal(udpHm.type, 'UDP-CONNECT');
      const tooFast = await app.request('PUT', `${HMS}/${udpHm.id}`, { healthmonitor: { delay: 1 } });
      assert.equal(tooFast.status, 400);
      assert.match(tooFast.body.faultstring, /delay value 1 should be larger than 3/);

      const { pool: https } = await newPool('HTTPS');
      const full = await createMonitor({
        pool_id: https.id,
        type: 'HTTPS',
        http_method: 'HEAD',
        url_path: '/health?full=1',
        expected_codes: '200-204',
        http_version: 1.1,
        domain_name: 'www.example.com',
        max_retries_down: 10,
      });
      assert.equal(full.http_version, 1.1);
      assert.equal(full.domain_name, 'www.example.com');
      assert.equal(full.expected_codes, '200-204');
      assert.equal(full.max_retries_down, 10);
      const shown = await app.request('GET', `${HMS}/${full.id}`);
      assert.equal(shown.body.healthmonitor.http_version, 1.1, 'reads back as 1.1');
    });

    test('bad input is a 400 fault and nothing is written', async () => {
      const { pool } = await newPool();
      const base = { pool_id: pool.id, type: 'HTTP', delay: 5, timeout: 3, max_retries: 2 };
      const cases: [unknown, RegExp][] = [
        [{ healthmonitor: { ...base, pool_id: undefined } }, /pool_id\. Value: 'None'\. Mandatory field missing/],
        [{ healthmonitor: { ...base, type: undefined } }, /type\. Value: 'None'\. Mandatory field missing/],
        [{ healthmonitor: { ...base, delay: undefined } }, /delay\. Value: 'None'\. Mandatory field missing/],
        [{ healthmonitor: { ...base, max_retries: undefined } }, /max_retries\. Value: 'None'\. Mandatory field missing/],
        [{ healthmonitor: { ...base, pool_id: 'pool' } }, /pool_id\. Value: 'pool'\. Value should be UUID format/],
        [{ healthmonitor: { ...base, type: 'ICMP' } }, /type\. Value: 'ICMP'\. Value should be one of: HTTP, HTTPS, PING, TCP, TLS-HELLO, UDP-CONNECT, SCTP/],
        [{ healthmonitor: { ...base, delay: -1 } }, /delay\. Value: '-1'\. Value should be greater or equal to 0/],
        [{ healthmonitor: { ...base, delay: 2 ** 31 } }, /delay/],
        [{ healthmonitor: { ...base, timeout: 'slow' } }, /timeout/],
        [{ healthmonitor: { ...base, max_retries: 0 } }, /max_retries\. Value: '0'\. Value should be greater or equal to 1/],
        [{ healthmonitor: { ...base, max_retries: 11 } }, /max_retries\. Value: '11'\. Value should be lower or equal to 10/],
        [{ healthmonitor: { ...base, max_retries_down: 11 } }, /max_retries_down/],
        [{ healthmonitor: { ...base, http_method: 'FETCH' } }, /http_method\. Value: 'FETCH'\. Value should be one of: GET/],
        [{ healthmonitor: { ...base, url_path: 'health' } }, /url_path\. Value: 'health'/],
        [{ healthmonitor: { ...base, url_path: '//evil.example/x' } }, /url_path/],
        [{ healthmonitor: { ...base, url_path: 'http://evil.example/' } }, /url_path/],
        [{ healthmonitor: { ...base, url_path: '/a b' } }, /url_path/],
        [{ healthmonitor: { ...base, url_path: '/a\u0000' } }, /url_path/],
        [{ healthmonitor: { ...base, expected_codes: '20x' } }, /expected_codes\. Value: '20x'/],
        [{ healthmonitor: { ...base, expected_codes: '200-' } }, /expected_codes/],
        [{ healthmonitor: { ...base, expected_codes: '200,20' } }, /expected_codes/],
        [{ healthmonitor: { ...base, http_version: 2.0 } }, /http_version/],
        [{ healthmonitor: { ...base, http_version: '1.1' } }, /http_version/],
        [{ healthmonitor: { ...base, http_version: 1.1, domain_name: '-bad-.example' } }, /domain_name/],
        [{ healthmonitor: { ...base, http_version: 1.1, domain_name: '' } }, /domain_name/],
        [{ healthmonitor: { ...base, name: 'n'.repeat(256) } }, /maximum character requirement of 255/],
        [{ healthmonitor: { ...base, pools: [{ id: pool.id }] } }, /Unknown attribute for argument healthmonitor: pools/],
        [{ healthmonitor: { ...base, id: MISSING } }, /Unknown attribute for argument healthmonitor: id/],
        [{ ...base }, /Unknown attribute for argument body|Mandatory field missing/],
        ['[1,', /not in valid JSON format/],
      ];
      for (const [body, message] of cases) {
        const res = await app.request('POST', HMS, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.faultcode, 'Client');
        assert.match(res.body.faultstring, message);
      }
      const noPool = await app.request('POST', HMS, { healthmonitor: { ...base, pool_id: MISSING } });
      assert.equal(noPool.status, 404);
      assert.equal(noPool.body.faultstring, `Pool ${MISSING} not found.`);
      assert.equal(await lbStatus(), 'ACTIVE');
      assert.deepEqual((await app.request('GET', `${HMS}?pool_id=${pool.id}`)).body.healthmonitors, []);
      for (const path of [`${HMS}/${MISSING}`, `${HMS}/not-a-uuid`]) {
        const res = await app.request('GET', path);
        assert.equal(res.status, 404);
        assert.match(res.body.faultstring, /^Health Monitor .* not found\.$/);
      }
      assert.equal((await app.request('PUT', `${HMS}/${MISSING}`, { healthmonitor: { name: 'x' } })).status, 404);
      assert.equal((await app.request('DELETE', `${HMS}/${MISSING}`)).status, 404);
    });

    test('update: null rules, immutable fields, 200 with PENDING_UPDATE', async () => {
      const { pool } = await newPool();
      const hm = await createMonitor({
        pool_id: pool.id, type: 'HTTP', name: 'n', url_path: '/ping', http_method: 'POST', expected_codes: '202', max_retries_down: 7,
      });
      const before = (await app.request('GET', `${HMS}/${hm.id}`)).body.healthmonitor;
      const refused: [unknown, RegExp][] = [
        [{ healthmonitor: { delay: null } }, /^None is not a valid option for delay$/],
        [{ healthmonitor: { timeout: null } }, /^None is not a valid option for timeout$/],
        [{ healthmonitor: { max_retries: null } }, /^None is not a valid option for max_retries$/],
        [{ healthmonitor: { type: 'TCP' } }, /Unknown attribute for argument healthmonitor: type/],
        [{ healthmonitor: { pool_id: pool.id } }, /Unknown attribute for argument healthmonitor: pool_id/],
        [{ healthmonitor: { domain_name: 'a.example' } }, /'http_version' must be specified/],
        [{ healthmonitor: { max_retries: 0 } }, /max_retries/],
        [{}, /Mandatory field missing/],
      ];
      for (const [body, message] of refused) {
        const res = await app.request('PUT', `${HMS}/${hm.id}`, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.faultstring, message);
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      assert.deepEqual((await app.request('GET', `${HMS}/${hm.id}`)).body.healthmonitor, before, 'nothing written');

      const res = await app.request('PUT', `${HMS}/${hm.id}`, {
        healthmonitor: { name: null, url_path: null, http_method: null, expected_codes: null, max_retries_down: null, admin_state_up: null, delay: 30, tags: ['z'] },
      });
      assert.equal(res.status, 200);
      const u = res.body.healthmonitor;
      assert.equal(u.provisioning_status, 'PENDING_UPDATE');
      assert.deepEqual(
        [u.name, u.url_path, u.http_method, u.expected_codes, u.max_retries_down, u.admin_state_up, u.delay, u.timeout],
        ['', '/', 'GET', '200', 3, false, 30, 3],
      );
      assert.deepEqual(u.tags, ['z']);
      await settle();
      const settled = await app.waitFor(`${HMS}/${hm.id}`, 'healthmonitor');
      assert.equal(settled.provisioning_status, 'ACTIVE');
      assert.equal(settled.operating_status, 'OFFLINE', 'admin-down');
      assert.equal((await getPool(pool.id)).provisioning_status, 'ACTIVE');

      const versioned = await app.request('PUT', `${HMS}/${hm.id}`, { healthmonitor: { http_version: 1.1, domain_name: 'a.example' } });
      assert.equal(versioned.status, 200);
      await settle();
      const unversion = await app.request('PUT', `${HMS}/${hm.id}`, { healthmonitor: { http_version: null } });
      assert.equal(unversion.status, 400, 'domain_name still set');

      const tcp = await createMonitor({ pool_id: (await newPool()).pool.id, type: 'TCP' });
      const httpField = await app.request('PUT', `${HMS}/${tcp.id}`, { healthmonitor: { url_path: null } });
      assert.equal(httpField.status, 400);
      assert.equal(httpField.body.faultstring, 'url_path is not a valid option for health monitors of type TCP');
    });

    test('a pool that is not ACTIVE refuses monitor changes with 409', async () => {
      const { pool } = await newPool();
      const hm = await createMonitor({ pool_id: pool.id, type: 'TCP' });
      const { pool: bare } = await newPool();
      await app.rt.database.db.updateTable('pool').set({ provisioning_status: 'ERROR' }).where('id', 'in', [pool.id, bare.id]).execute();
      const attempts: [Awaited<ReturnType<TestApp['request']>>, string][] = [
        [await app.request('PUT', `${HMS}/${hm.id}`, { healthmonitor: { delay: 9 } }), pool.id],
        [await app.request('DELETE', `${HMS}/${hm.id}`), pool.id],
        [await app.request('POST', HMS, { healthmonitor: { pool_id: bare.id, type: 'TCP', delay: 5, timeout: 3, max_retries: 2 } }), bare.id],
      ];
      for (const [res, poolId] of attempts) {
        assert.equal(res.status, 409);
        assert.equal(res.body.faultstring, `Pool ${poolId} is immutable and cannot be updated.`);
      }
      assert.equal(await lbStatus(), 'ACTIVE');
      const still = (await app.request('GET', `${HMS}/${hm.id}`)).body.healthmonitor;
      assert.equal(still.delay, 5);
      assert.equal(still.provisioning_status, 'ACTIVE');
    });

    test('list filters, tags and field selection', async () => {
      const { pool: p1 } = await newPool();
      const { pool: p2 } = await newPool();
      const { pool: p3 } = await newPool();
      // Every monitor here carries the tag "listed", so monitors of earlier tests never match.
      const a = await createMonitor({ pool_id: p1.id, type: 'HTTP', name: 'fa', delay: 11, url_path: '/a', expected_codes: '200,201', tags: ['listed', 'x', 'y'] });
      const b = await createMonitor({ pool_id: p2.id, type: 'TCP', name: 'fb', delay: 12, timeout: 4, max_retries: 5, tags: ['listed', 'x'] });
      const c = await createMonitor({
        pool_id: p3.id, type: 'HTTP', name: 'fc', delay: 12, http_method: 'HEAD', max_retries_down: 9, admin_state_up: false,
        domain_name: 'h.example', http_version: 1.1, tags: ['listed'],
      });
      const ids = async (query: string) => {
        const res = await app.request('GET', `${HMS}?tags=listed&${query}`);
        assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
        return res.body.healthmonitors.map((m: any) => m.id).sort();
      };
      const sorted = (...ms: any[]) => ms.map((m) => m.id).sort();
      assert.deepEqual(await ids(''), sorted(a, b, c));
      assert.deepEqual(await ids(`pool_id=${p2.id}`), sorted(b));
      assert.deepEqual(await ids('name=fa'), sorted(a));
      assert.deepEqual(await ids('type=TCP'), sorted(b));
      assert.deepEqual(await ids('type=HTTP'), sorted(a, c));
      assert.deepEqual(await ids('delay=12'), sorted(b, c));
      assert.deepEqual(await ids('timeout=4&max_retries=5'), sorted(b));
      assert.deepEqual(await ids('max_retries_down=9'), sorted(c));
      assert.deepEqual(await ids('http_method=HEAD'), sorted(c));
      assert.deepEqual(await ids('url_path=/a'), sorted(a));
      assert.deepEqual(await ids('expected_codes=200,201'), sorted(a));
      assert.deepEqual(await ids('domain_name=h.example'), sorted(c));
      assert.deepEqual(await ids('admin_state_up=false'), sorted(c));
      assert.deepEqual(await ids(`id=${a.id}&provisioning_status=ACTIVE&operating_status=ONLINE&project_id=project-a`), sorted(a));
      assert.deepEqual(await ids('tags=x,y'), sorted(a));
      assert.deepEqual(await ids('tags-any=y,nothing'), sorted(a));
      assert.deepEqual(await ids('not-tags-any=x'), sorted(c));
      assert.deepEqual(await ids('not-tags=x,y'), sorted(b, c));
      const fields = await app.request('GET', `${HMS}/${a.id}?fields=type&fields=pools&fields=tenant_id`);
      assert.deepEqual(fields.body, { healthmonitor: { type: 'HTTP', pools: [{ id: p1.id }], tenant_id: 'project-a' } });
      const listFields = await app.request('GET', `${HMS}?tags=listed&name=fb&fields=name&fields=bogus`);
      assert.deepEqual(listFields.body.healthmonitors, [{ name: 'fb' }]);
      const bad = await app.request('GET', `${HMS}?monitor=yes`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.faultstring, 'One or more arguments are either duplicate or invalid');
      assert.equal((await app.request('GET', `${HMS}?delay=soon`)).status, 400);
    });
  });
}
