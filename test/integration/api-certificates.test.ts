// The certificate store API on both back ends: uploads (PEM, PKCS#12, CA, CRL) and their
// checks, metadata without key material, encryption at rest, project scoping, the
// *_container_ref checks of listeners and pools, delete refused while in use, and (with API
// keys) what another project may see and use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BACKENDS } from '../helpers/db.ts';
import { createActiveLoadBalancer, startTestApp, type TestApp } from '../helpers/app.ts';
import { clientCert, makeCa, makeCrl, serverCert, toPkcs12, type PemPair } from '../helpers/tls-pki.ts';
import { createApiKey } from '../../src/auth/apikey-store.ts';

const SECRET_KEY = randomBytes(32).toString('base64');

for (const backend of BACKENDS) {
  describe(`certificates (${backend})`, () => {
    let app: TestApp;
    let lb: any;
    let ca: PemPair;
    let otherCa: PemPair;
    let server: PemPair;
    let client: PemPair;

    before(async () => {
      app = await startTestApp(backend, { config: { secretKey: SECRET_KEY, apiBaseUri: 'https://lb.example:9876' } });
      lb = await createActiveLoadBalancer(app);
      [ca, otherCa] = await Promise.all([makeCa('Test CA'), makeCa('Other CA')]);
      [server, client] = await Promise.all([serverCert(ca, 'a.example'), clientCert(ca, 'alice')]);
    });
    after(async () => app?.close());

    const upload = (certificate: Record<string, unknown>, headers?: Record<string, string>) =>
      app.request('POST', '/v2/fulcrum/certificates', { certificate }, headers);
    const settle = () => app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer');

    test('a PEM certificate with its chain: 201 with metadata and a ref, never the key; sealed at rest', async () => {
      const res = await upload({ name: 'web', type: 'certificate', certificate: server.certPem, private_key: server.keyPem, intermediates: ca.certPem });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const c = res.body.certificate;
      assert.equal(c.name, 'web');
      assert.equal(c.type, 'certificate');
      assert.equal(c.project_id, 'project-a');
      assert.equal(c.subject, 'CN=a.example');
      assert.equal(c.issuer, 'CN=Test CA');
      assert.deepEqual(c.subject_alt_names, ['IP:127.0.0.1', 'DNS:a.example']);
      assert.equal(c.ref, `https://lb.example:9876/v2/fulcrum/certificates/${c.id}`);
      assert.ok(Date.parse(c.expires_at) > Date.now());
      assert.doesNotMatch(JSON.stringify(res.body), /PRIVATE KEY|BEGIN/);
      const shown = await app.request('GET', `/v2/fulcrum/certificates/${c.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.certificate, c);

      const row = await app.rt.database.db.selectFrom('certificate').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
      const keyBody = server.keyPem.split('\n')[1];
      const certBody = server.certPem.split('\n')[1];
      assert.ok(!row.sealed.includes(keyBody) && !row.sealed.includes(certBody) && !row.sealed.includes('BEGIN'), 'nothing readable at rest');
      assert.ok(!row.sealed.includes(SECRET_KEY));
    });

    test('PKCS#12 with a passphrase; a wrong passphrase is 400', async () => {
      const p12 = toPkcs12(server, 'sesame', [ca.certPem]);
      const ok = await upload({ type: 'certificate', pkcs12: p12, passphrase: 'sesame' });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.certificate.subject, 'CN=a.example');
      const bad = await upload({ type: 'certificate', pkcs12: p12, passphrase: 'nope' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.faultstring, /^The PKCS12 bundle is unreadable/);
    });

    test('bad uploads are 400 and store nothing', async () => {
      const before = (await app.request('GET', '/v2/fulcrum/certificates')).body.certificates.length;
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ type: 'certificate', certificate: server.certPem, private_key: client.keyPem }, /private key does not match/],
        [{ type: 'certificate', certificate: server.certPem }, /needs certificate and private_key/],
        [{ type: 'certificate', certificate: 'hello', private_key: server.keyPem }, /not a PEM x509 certificate/],
        [{ type: 'certificate', certificate: server.certPem, private_key: server.keyPem, ca: ca.certPem }, /"ca" is not allowed for certificates of type certificate/],
        [{ type: 'ca', ca: ca.certPem + ca.keyPem }, /must not contain a private key/],
        [{ type: 'ca' }, /"ca" .* is required/],
        [{ type: 'crl', crl: ca.certPem }, /revocation list is invalid/],
        [{ type: 'key', certificate: server.certPem }, /type/],
      ];
      for (const [body, message] of cases) {
        const res = await upload(body);
        assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)} → ${JSON.stringify(res.body)}`);
        assert.match(res.body.faultstring, message);
      }
      assert.equal((await app.request('GET', '/v2/fulcrum/certificates')).body.certificates.length, before);
    });

    test('listener refs: must exist, be the project\'s and of the right type; CRL must be signed by the CA', async () => {
      const cert = (await upload({ type: 'certificate', certificate: server.certPem, private_key: server.keyPem })).body.certificate;
      const caRef = (await upload({ type: 'ca', ca: ca.certPem })).body.certificate;
      const crlRef = (await upload({ type: 'crl', crl: await makeCrl(ca, [client.certPem]) })).body.certificate;
      const foreignCrl = (await upload({ type: 'crl', crl: await makeCrl(otherCa, []) })).body.certificate;
      const elsewhere = (await upload({ type: 'certificate', certificate: server.certPem, private_key: server.keyPem, project_id: 'project-b' })).body.certificate;
      assert.equal(elsewhere.project_id, 'project-b');
      const missing = 'https://barbican.example/v1/containers/00000000-0000-4000-8000-000000000001';
      const create = (listener: Record<string, unknown>) =>
        app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', ...listener } });
      const cases: [Record<string, unknown>, string][] = [
        [{ protocol_port: 1001, default_tls_container_ref: missing }, `Could not retrieve certificate: ['${missing}']`],
        [{ protocol_port: 1002, default_tls_container_ref: 'not-a-ref' }, `Could not retrieve certificate: ['not-a-ref']`],
        [{ protocol_port: 1003, default_tls_container_ref: elsewhere.ref }, `Could not retrieve certificate: ['${elsewhere.ref}']`],
        [{ protocol_port: 1004, default_tls_container_ref: caRef.ref }, `Could not retrieve certificate: ['${caRef.ref}']`],
        [{ protocol_port: 1005, default_tls_container_ref: cert.ref, sni_container_refs: [cert.ref, crlRef.id] }, `Could not retrieve certificate: ['${crlRef.id}']`],
        [{ protocol_port: 1006, default_tls_container_ref: cert.ref, client_authentication: 'MANDATORY', client_ca_tls_container_ref: cert.ref }, `Could not retrieve certificate: ${cert.ref}`],
        [
          { protocol_port: 1007, default_tls_container_ref: cert.ref, client_authentication: 'MANDATORY', client_ca_tls_container_ref: caRef.ref, client_crl_container_ref: foreignCrl.ref },
          'Validation failure: The CRL specified is not valid for client certificate authority reference supplied.',
        ],
      ];
      for (const [body, message] of cases) {
        const res = await create(body);
        assert.equal(res.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
        assert.equal(res.body.faultstring, message);
      }
      // Every accepted form of a reference names the same certificate.
      const barbicanForm = `http://key-manager.example:9311/v1/containers/${cert.id}`;
      const ok = await create({
        protocol_port: 1010,
        default_tls_container_ref: barbicanForm,
        sni_container_refs: [cert.id],
        client_authentication: 'OPTIONAL',
        client_ca_tls_container_ref: caRef.ref,
        client_crl_container_ref: crlRef.ref,
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.listener.default_tls_container_ref, barbicanForm, 'the ref is stored as given');
      await settle();
      const put = await app.request('PUT', `/v2/lbaas/listeners/${ok.body.listener.id}`, { listener: { sni_container_refs: [caRef.ref] } });
      assert.equal(put.status, 400);
      assert.equal(put.body.faultstring, `Could not retrieve certificate: ['${caRef.ref}']`);

      // In use (in any ref form): delete is refused, for the server cert, the CA and the CRL.
      for (const used of [cert, caRef, crlRef]) {
        const del = await app.request('DELETE', `/v2/fulcrum/certificates/${used.id}`);
        assert.equal(del.status, 409, JSON.stringify(del.body));
        assert.match(del.body.faultstring, new RegExp(`in use by listener ${ok.body.listener.id}`));
      }
      await app.request('DELETE', `/v2/lbaas/listeners/${ok.body.listener.id}`);
      await settle();
      await app.waitFor(`/v2/lbaas/listeners/${ok.body.listener.id}`, 'listener', ['DELETED']);
      const freed = await app.request('DELETE', `/v2/fulcrum/certificates/${crlRef.id}`);
      assert.equal(freed.status, 204);
      assert.equal((await app.request('GET', `/v2/fulcrum/certificates/${crlRef.id}`)).status, 404);
    });

    test('pool refs: client certificate, CA and CRL; a CRL needs a CA; delete refused while used', async () => {
      const cert = (await upload({ type: 'certificate', certificate: client.certPem, private_key: client.keyPem })).body.certificate;
      const caRef = (await upload({ type: 'ca', ca: ca.certPem })).body.certificate;
      const crlRef = (await upload({ type: 'crl', crl: await makeCrl(ca, []) })).body.certificate;
      const create = (pool: Record<string, unknown>) =>
        app.request('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lb.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, ...pool } });
      const wrongType = await create({ ca_tls_container_ref: cert.ref });
      assert.equal(wrongType.status, 400);
      assert.equal(wrongType.body.faultstring, `Could not retrieve certificate: ${cert.ref}`);
      const crlOnly = await create({ crl_container_ref: crlRef.ref });
      assert.equal(crlOnly.status, 400);
      assert.match(crlOnly.body.faultstring, /CA certificate reference is required/);
      const ok = await create({ tls_container_ref: cert.ref, ca_tls_container_ref: caRef.ref, crl_container_ref: crlRef.ref });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      await settle();
      const dropCa = await app.request('PUT', `/v2/lbaas/pools/${ok.body.pool.id}`, { pool: { ca_tls_container_ref: null } });
      assert.equal(dropCa.status, 400);
      assert.match(dropCa.body.faultstring, /CA reference cannot be removed/);
      const del = await app.request('DELETE', `/v2/fulcrum/certificates/${caRef.id}`);
      assert.equal(del.status, 409);
      assert.match(del.body.faultstring, new RegExp(`pool ${ok.body.pool.id}`));
    });

    test('listing is per project; filters and pagination work like other collections', async () => {
      await upload({ name: 'b-only', type: 'ca', ca: otherCa.certPem }, { 'x-project-id': 'project-b' });
      const mine = await app.request('GET', '/v2/fulcrum/certificates?project_id=project-a');
      assert.equal(mine.status, 200);
      assert.ok(mine.body.certificates.length > 0);
      assert.ok(mine.body.certificates.every((c: any) => c.project_id === 'project-a'));
      const theirs = await app.request('GET', '/v2/fulcrum/certificates?project_id=project-b&type=ca', undefined, { 'x-project-id': 'project-b' });
      assert.deepEqual(theirs.body.certificates.map((c: any) => c.name), ['b-only']);
      const page = await app.request('GET', '/v2/fulcrum/certificates?limit=1');
      assert.equal(page.body.certificates.length, 1);
      assert.equal(page.body.certificates_links[0].rel, 'next');
      assert.equal((await app.request('GET', '/v2/fulcrum/certificates/00000000-0000-4000-8000-000000000009')).body.faultstring, 'Certificate 00000000-0000-4000-8000-000000000009 not found.');
    });
  });
}

for (const backend of BACKENDS) {
  describe(`certificates per project, with real credentials (${backend})`, () => {
    let app: TestApp;
    const keys: Record<string, string> = {};
    let pair: PemPair;

    before(async () => {
      app = await startTestApp(backend, { config: { authStrategy: 'apikey', secretKey: SECRET_KEY } });
      for (const [name, projectId, roles] of [
        ['memberP', 'project-p', ['load-balancer_member']],
        ['readerP', 'project-p', ['load-balancer_observer']],
        ['memberQ', 'project-q', ['load-balancer_member']],
      ] as const) {
        keys[name] = (await createApiKey(app.rt.database.db, { projectId, roles: [...roles], name })).key;
      }
      pair = await serverCert(await makeCa('Scoped CA'), 's.example');
    });
    after(async () => app?.close());

    const as = (who: string) => (method: string, path: string, body?: unknown) => app.request(method, path, body, { 'x-auth-token': keys[who] });

    test('a project sees, uses and deletes only its own certificates; readers cannot upload', async () => {
      const body = { certificate: { type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem } };
      const mine = await as('memberP')('POST', '/v2/fulcrum/certificates', body);
      assert.equal(mine.status, 201, JSON.stringify(mine.body));
      assert.equal(mine.body.certificate.project_id, 'project-p');
      const cert = mine.body.certificate;
      assert.equal((await as('memberP')('POST', '/v2/fulcrum/certificates', { certificate: { ...body.certificate, project_id: 'project-q' } })).status, 403);
      assert.equal((await as('readerP')('POST', '/v2/fulcrum/certificates', body)).status, 403);
      assert.equal((await as('readerP')('GET', `/v2/fulcrum/certificates/${cert.id}`)).status, 200);

      assert.equal((await as('memberQ')('GET', `/v2/fulcrum/certificates/${cert.id}`)).status, 403);
      assert.deepEqual((await as('memberQ')('GET', '/v2/fulcrum/certificates')).body.certificates, []);
      assert.equal((await as('memberQ')('DELETE', `/v2/fulcrum/certificates/${cert.id}`)).status, 403);

      const lbQ = await as('memberQ')('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60' } });
      for (let i = 0; (await as('memberQ')('GET', `/v2/lbaas/loadbalancers/${lbQ.body.loadbalancer.id}`)).body.loadbalancer.provisioning_status !== 'ACTIVE'; i++) {
        assert.ok(i < 500, 'the load balancer becomes ACTIVE');
        await new Promise((r) => setTimeout(r, 20));
      }
      const borrowed = await as('memberQ')('POST', '/v2/lbaas/listeners', {
        listener: { loadbalancer_id: lbQ.body.loadbalancer.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: cert.ref },
      });
      assert.equal(borrowed.status, 400);
      assert.equal(borrowed.body.faultstring, `Could not retrieve certificate: ['${cert.ref}']`);

      assert.equal((await as('memberP')('DELETE', `/v2/fulcrum/certificates/${cert.id}`)).status, 204);
    });
  });
}
