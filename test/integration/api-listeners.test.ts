// Listener contract on both back ends: defaults, validation order and messages, port
// uniqueness per port space, null-resets on PUT, locking, delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { makeCa, serverCert } from '../helpers/tls-pki.ts';

for (const backend of BACKENDS) {
  describe(`listeners (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    before(async () => {
      app = await startTestApp(backend);
      lb = await createActiveLoadBalancer(app);
    });
    after(async () => app?.close());

    const create = (listener: Record<string, unknown>) =>
      app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, ...listener } });
    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');

    test('create applies Octavia defaults and settles ACTIVE with the LB', async () => {
      const res = await create({ protocol: 'HTTP', protocol_port: 8080, name: 'web', allowed_cidrs: ['10.1.2.3/8', '10.9.9.9/8'] });
      assert.equal(res.status, 201);
      const l = res.body.listener;
      assert.equal(l.provisioning_status, 'PENDING_CREATE');
      assert.equal(l.connection_limit, -1);
      assert.equal(l.timeout_client_data, 50000);
      assert.equal(l.timeout_member_connect, 5000);
      assert.equal(l.timeout_member_data, 50000);
      assert.equal(l.timeout_tcp_inspect, 0);
      assert.deepEqual(l.insert_headers, {});
      assert.deepEqual(l.sni_container_refs, []);
      assert.deepEqual(l.allowed_cidrs, ['10.0.0.0/8'], 'normalised to network form, duplicates folded');
      assert.equal(l.client_authentication, 'NONE');
      assert.deepEqual(l.loadbalancers, [{ id: lb.id }]);
      assert.deepEqual(l.l7policies, []);
      const during = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
      assert.ok(['PENDING_UPDATE', 'ACTIVE'].includes(during.body.loadbalancer.provisioning_status));
      await settle();
      const got = await app.waitFor(`/v2/lbaas/listeners/${l.id}`, 'listener');
      assert.equal(got.provisioning_status, 'ACTIVE');
      assert.equal(got.operating_status, 'OFFLINE');
      const lbNow = await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`);
      assert.ok(lbNow.body.loadbalancer.listeners.some((x: any) => x.id === l.id));
    });

    test('TERMINATED_HTTPS gets the TLS defaults; HTTP does not', async () => {
      const pair = await serverCert(await makeCa('Test CA'), 'a.example');
      const cert = await app.request('POST', '/v2/fulcrum/certificates', { certificate: { type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem } });
      const res = await create({ protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: cert.body.certificate.ref });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.deepEqual(res.body.listener.tls_versions, ['TLSv1.2', 'TLSv1.3']);
      assert.deepEqual(res.body.listener.alpn_protocols, ['h2', 'http/1.1', 'http/1.0']);
      assert.match(res.body.listener.tls_ciphers, /ECDHE/);
      await settle();
    });

    test('a port is unique per port space: TCP-based protocols share one, UDP has its own', async () => {
      assert.equal((await create({ protocol: 'TCP', protocol_port: 9000 })).status, 201);
      await settle();
      const clash = await create({ protocol: 'HTTP', protocol_port: 9000 });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.faultstring, 'Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 9000');
      const udp = await create({ protocol: 'UDP', protocol_port: 9000 });
      assert.equal(udp.status, 201);
      await settle();
    });

    test('validation failures are 400 and create nothing', async () => {
      const before = (await app.request('GET', `/v2/lbaas/listeners?loadbalancer_id=${lb.id}`)).body.listeners.length;
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ protocol: 'HTTP', protocol_port: 0 }, /protocol_port\. Value: '0'\. Value should be greater or equal to 1/],
        [{ protocol: 'HTTP', protocol_port: 65536 }, /protocol_port/],
        [{ protocol: 'FTP', protocol_port: 21 }, /protocol\. Value: 'FTP'\. Value should be one of: HTTP, HTTPS, TCP/],
        [{ protocol: 'HTTP' }, /protocol_port\. Value: 'None'\. Mandatory field missing\./],
        [{ protocol: 'HTTP', protocol_port: 81, connection_limit: -2 }, /connection_limit/],
        [{ protocol: 'TCP', protocol_port: 82, insert_headers: { 'X-Forwarded-For': 'true' } }, /insert-headers is not a valid option for a TCP protocol listener\./],
        [{ protocol: 'HTTP', protocol_port: 83, insert_headers: { 'X-Evil': 'true' } }, /X-Evil is not a valid option for insert_headers/],
        [{ protocol: 'HTTP', protocol_port: 84, insert_headers: { 'X-SSL-Client-DN': 'true' } }, /X-SSL-Client-DN is not a valid option/],
        [{ protocol: 'TERMINATED_HTTPS', protocol_port: 85 }, /must be provided for TERMINATED_HTTPS/],
        [{ protocol: 'HTTP', protocol_port: 86, default_tls_container_ref: 'x' }, /only allowed on TERMINATED_HTTPS/],
        [{ protocol: 'TERMINATED_HTTPS', protocol_port: 87, default_tls_container_ref: 'x', client_authentication: 'MANDATORY' }, /requires a client CA/],
        [{ protocol: 'HTTP', protocol_port: 88, allowed_cidrs: ['2001:db8::/32'] }, /IP version incompatible/],
        [{ protocol: 'HTTP', protocol_port: 89, allowed_cidrs: ['10.0.0.0/33'] }, /CIDR/],
        [{ protocol: 'HTTP', protocol_port: 90, hsts_max_age: 10 }, /HSTS feature can only be used/],
        [{ protocol: 'HTTP', protocol_port: 91, tls_ciphers: 'A B' }, /tls_ciphers/],
        [{ protocol: 'HTTP', protocol_port: 92, loadbalancer_id: 'not-a-uuid' }, /Value should be UUID format/],
        [{ protocol: 'HTTP', protocol_port: 93, id: '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60' }, /Unknown attribute for argument listener: id/],
      ];
      for (const [body, message] of cases) {
        const res = await create(body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.match(res.body.faultstring, message);
      }
      const missingLb = await app.request('POST', '/v2/lbaas/listeners', {
        listener: { loadbalancer_id: '00000000-0000-4000-8000-000000000000', protocol: 'HTTP', protocol_port: 80 },
      });
      assert.equal(missingLb.status, 404);
      assert.equal(missingLb.body.faultstring, 'Load Balancer 00000000-0000-4000-8000-000000000000 not found.');
      const afterCount = (await app.request('GET', `/v2/lbaas/listeners?loadbalancer_id=${lb.id}`)).body.listeners.length;
      assert.equal(afterCount, before);
    });

    test('PUT is partial, null resets to defaults, immutable fields are unknown attributes', async () => {
      const res = await create({ protocol: 'HTTP', protocol_port: 7000, timeout_client_data: 1000, connection_limit: 5, name: 'n' });
      const id = res.body.listener.id;
      await settle();
      const put = await app.request('PUT', `/v2/lbaas/listeners/${id}`, {
        listener: { timeout_client_data: null, connection_limit: null, description: 'd' },
      });
      assert.equal(put.status, 200);
      assert.equal(put.body.listener.provisioning_status, 'PENDING_UPDATE');
      assert.equal(put.body.listener.timeout_client_data, 50000);
      assert.equal(put.body.listener.connection_limit, -1);
      assert.equal(put.body.listener.name, 'n', 'absent keys untouched');
      assert.equal(put.body.listener.description, 'd');
      await settle();
      const immutable = await app.request('PUT', `/v2/lbaas/listeners/${id}`, { listener: { protocol_port: 7001 } });
      assert.equal(immutable.status, 400);
      assert.equal(immutable.body.faultstring, 'Unknown attribute for argument listener: protocol_port');
    });

    test('while the LB is locked every write to its tree is 409 immutable', async () => {
      const locked = await startTestApp(backend, { worker: false });
      try {
        const res = await locked.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: lb.vip_subnet_id } });
        const id = res.body.loadbalancer.id;
        const write = await locked.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: id, protocol: 'HTTP', protocol_port: 80 } });
        assert.equal(write.status, 409);
        assert.equal(write.body.faultstring, `Load Balancer ${id} is immutable and cannot be updated.`);
        const read = await locked.request('GET', `/v2/lbaas/loadbalancers/${id}`);
        assert.equal(read.status, 200, 'reads are never blocked');
      } finally {
        await locked.close();
      }
    });

    test('default_pool_id must name a compatible pool of the same LB; delete removes the row', async () => {
      const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } });
      assert.equal(pool.status, 201);
      await settle();
      const bad = await create({ protocol: 'HTTP', protocol_port: 6000, default_pool_id: pool.body.pool.id });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.faultstring, "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.");
      const missing = await create({ protocol: 'HTTP', protocol_port: 6001, default_pool_id: '00000000-0000-4000-8000-000000000001' });
      assert.equal(missing.status, 404);
      const ok = await create({ protocol: 'UDP', protocol_port: 6002, default_pool_id: pool.body.pool.id });
      assert.equal(ok.status, 201);
      await settle();
      const del = await app.request('DELETE', `/v2/lbaas/listeners/${ok.body.listener.id}`);
      assert.equal(del.status, 204);
      await settle();
      const gone = await app.request('GET', `/v2/lbaas/listeners/${ok.body.listener.id}`);
      assert.equal(gone.status, 404);
      const poolAfter = await app.request('GET', `/v2/lbaas/pools/${pool.body.pool.id}`);
      assert.equal(poolAfter.status, 200, 'the pool outlives its listener');
      assert.deepEqual(poolAfter.body.pool.listeners, []);
    });

    test('listener stats start at zero', async () => {
      const res = await create({ protocol: 'HTTP', protocol_port: 5000 });
      await settle();
      const stats = await app.request('GET', `/v2/lbaas/listeners/${res.body.listener.id}/stats`);
      assert.deepEqual(stats.body.stats, { bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0, refused_connections: 0, refused_requests: 0 });
    });
  });
}
