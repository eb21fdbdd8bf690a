// TLS end to end on the process compute driver, with real TLS clients against real HAProxy:
// certificates uploaded through the API (one as PKCS#12) are pushed to the amphora; SNI picks
// the certificate, client authentication checks client certificates against a CA and a CRL,
// a pool re-encrypts to HTTPS members it verifies, and a replaced certificate takes effect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import { readdirSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { startBackend, type Backend } from '../helpers/data-plane.ts';
import { clientCert, makeCa, makeCrl, serverCert, toPkcs12, type PemPair } from '../helpers/tls-pki.ts';

interface TlsResult {
  status: number;
  body: string;
  /** The CN of the certificate the listener presented. */
  servedCn: string;
  fingerprint: string;
}

/** One HTTPS GET on a fresh connection; SNI only when `servername` is given (the host is an IP). */
function tlsGet(host: string, port: number, options: { servername?: string; ca: string; client?: PemPair }): Promise<TlsResult> {
  return new Promise((resolve, reject) => {
    let served: { cn: string; fingerprint: string } = { cn: '', fingerprint: '' };
    const req = httpsRequest(
      {
        host,
        port,
        path: '/',
        agent: false,
        servername: options.servername,
        ca: options.ca,
        cert: options.client?.certPem,
        key: options.client?.keyPem,
        // The VIP is not in the certificates; which certificate was served is asserted instead.
        checkServerIdentity: () => undefined,
        timeout: 5000,
        headers: { connection: 'close' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, servedCn: served.cn, fingerprint: served.fingerprint }));
        res.on('error', reject);
      },
    );
    req.on('socket', (socket) => {
      socket.on('secureConnect', () => {
        const peer = (socket as import('node:tls').TLSSocket).getPeerCertificate();
        served = { cn: String(peer.subject?.CN ?? ''), fingerprint: peer.fingerprint256 };
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

interface HttpsBackend {
  port: number;
  hits: number;
  close(): Promise<void>;
}

async function startHttpsBackend(name: string, pair: PemPair): Promise<HttpsBackend> {
  const backend = { port: 0, hits: 0 } as HttpsBackend;
  const server: Server = createHttpsServer({ cert: pair.certPem, key: pair.keyPem }, (_req, res) => {
    backend.hits++;
    res.setHeader('connection', 'close');
    res.end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backend.port = (server.address() as { port: number }).port;
  backend.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('TLS termination, client authentication and re-encryption through a real amphora', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let plain: Backend;
  let secure: HttpsBackend;
  let rogue: HttpsBackend;
  const pki = {} as {
    serverCa: PemPair;
    clientCa: PemPair;
    backendCa: PemPair;
    otherCa: PemPair;
    a: PemPair;
    a2: PemPair;
    b: PemPair;
    d: PemPair;
    alice: PemPair;
    mallory: PemPair;
  };

  before(async () => {
    env = await startProcessAmphoraApp('tls', [200, 250], 300);
    app = env.app;
    [pki.serverCa, pki.clientCa, pki.backendCa, pki.otherCa] = await Promise.all([makeCa('Server CA'), makeCa('Client CA'), makeCa('Backend CA'), makeCa('Rogue CA')]);
    [pki.a, pki.a2, pki.b, pki.d] = await Promise.all(['a.example', 'a.example', 'b.example', 'default.example'].map((n) => serverCert(pki.serverCa, n)));
    [pki.alice, pki.mallory] = await Promise.all([clientCert(pki.clientCa, 'alice'), clientCert(pki.clientCa, 'mallory')]);
    plain = await startBackend('plain');
    secure = await startHttpsBackend('secure', await serverCert(pki.backendCa, 'a.example'));
    rogue = await startHttpsBackend('rogue', await serverCert(pki.otherCa, 'a.example'));
  });

  after(async () => {
    await env?.close();
    await Promise.all([plain?.close(), secure?.close(), rogue?.close()]);
  });

  test('SNI, client certificates with a CRL, re-encryption, certificate replacement', async () => {
    const upload = async (certificate: Record<string, unknown>) => {
      const res = await app.request('POST', '/v2/fulcrum/certificates', { certificate });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.certificate as { id: string; ref: string };
    };
    const pem = (pair: PemPair) => ({ type: 'certificate', certificate: pair.certPem, private_key: pair.keyPem });
    const certA = await upload(pem(pki.a));
    const certB = await upload({ type: 'certificate', pkcs12: toPkcs12(pki.b, 'p12-pass', [pki.serverCa.certPem]), passphrase: 'p12-pass' });
    const certD = await upload(pem(pki.d));
    const clientCa = await upload({ type: 'ca', ca: pki.clientCa.certPem });
    const crl = await upload({ type: 'crl', crl: await makeCrl(pki.clientCa, [pki.mallory.certPem]) });
    const backendCa = await upload({ type: 'ca', ca: pki.backendCa.certPem });

    const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'tls', vip_subnet_id: env.subnetId } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const vip = created.body.loadbalancer.vip_address;
    const settle = async () => {
      const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
      assert.equal(lb.provisioning_status, 'ACTIVE', JSON.stringify((await app.request('GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body).slice(-2000));
    };
    await settle();

    const listenerRes = await app.request('POST', '/v2/lbaas/listeners', {
      listener: { loadbalancer_id: lbId, protocol: 'TERMINATED_HTTPS', protocol_port: 8443, default_tls_container_ref: certD.ref, sni_container_refs: [certA.ref, certB.id] },
    });
    assert.equal(listenerRes.status, 201, JSON.stringify(listenerRes.body));
    const listenerId = listenerRes.body.listener.id;
    await settle();
    const poolRes = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${poolRes.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: plain.port } });
    await settle();

    const get = (servername?: string, client?: PemPair) => tlsGet(vip, 8443, { servername, ca: pki.serverCa.certPem, client });

    // SNI picks the certificate; without SNI the default one is served.
    const viaA = await get('a.example');
    assert.deepEqual([viaA.status, viaA.body, viaA.servedCn], [200, 'plain', 'a.example']);
    assert.equal((await get('b.example')).servedCn, 'b.example', 'the PKCS#12 upload serves b.example');
    assert.equal((await get()).servedCn, 'default.example');
    assert.equal((await get('unknown.example')).servedCn, 'default.example');

    // The files on the amphora: private, in the certificate directory.
    const [amphora] = await app.rt.database.db.selectFrom('amphora').select('run_dir').where('load_balancer_id', '=', lbId).execute();
    const certDir = join(amphora.run_dir!, 'certs');
    const files = () => readdirSync(certDir).sort();
    assert.deepEqual(files(), [`${listenerId}-sni-0.pem`, `${listenerId}-sni-1.pem`, `${listenerId}.crt-list`, `${listenerId}.pem`].sort());
    for (const f of files()) assert.equal(statSync(join(certDir, f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(join(env.dataDir, 'secret.key')).mode & 0o777, 0o600, 'the generated certificate key is private too');

    // Client authentication, MANDATORY: no certificate and a revoked one are refused.
    const mandatory = await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, {
      listener: { client_authentication: 'MANDATORY', client_ca_tls_container_ref: clientCa.ref },
    });
    assert.equal(mandatory.status, 200, JSON.stringify(mandatory.body));
    await settle();
    assert.equal((await get('a.example', pki.mallory)).status, 200, 'before the CRL, mallory is a valid client');
    await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, { listener: { client_crl_container_ref: crl.ref } });
    await settle();
    await assert.rejects(get('a.example'), 'no client certificate: refused');
    assert.equal((await get('a.example', pki.alice)).status, 200, 'a valid client certificate is accepted');
    await assert.rejects(get('a.example', pki.mallory), 'a revoked client certificate is refused');
    const foreign = await clientCert(pki.otherCa, 'eve');
    await assert.rejects(get('a.example', foreign), 'a certificate from another CA is refused');

    // OPTIONAL: no certificate is fine, a valid one too.
    await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, { listener: { client_authentication: 'OPTIONAL' } });
    await settle();
    assert.equal((await get('a.example')).status, 200);
    assert.equal((await get('a.example', pki.alice)).status, 200);

    // Re-encryption: the pool verifies its HTTPS members against the uploaded CA.
    const securePool = await app.request('POST', '/v2/lbaas/pools', {
      pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, ca_tls_container_ref: backendCa.ref },
    });
    assert.equal(securePool.status, 201, JSON.stringify(securePool.body));
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${securePool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: secure.port } });
    await settle();
    await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, { listener: { default_pool_id: securePool.body.pool.id } });
    await settle();
    const reencrypted = await get('a.example');
    assert.deepEqual([reencrypted.status, reencrypted.body], [200, 'secure']);

    const roguePool = await app.request('POST', '/v2/lbaas/pools', {
      pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, ca_tls_container_ref: backendCa.ref },
    });
    await settle();
    await app.request('POST', `/v2/lbaas/pools/${roguePool.body.pool.id}/members`, { member: { address: '127.0.0.1', protocol_port: rogue.port } });
    await settle();
    await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, { listener: { default_pool_id: roguePool.body.pool.id } });
    await settle();
    const refused = await get('a.example');
    assert.equal(refused.status, 503, 'a member whose certificate the CA did not sign is not used');
    assert.equal(rogue.hits, 0, 'no request reached the unverified member');

    // A new certificate for a.example under the same listener takes effect.
    const certA2 = await upload(pem(pki.a2));
    const replaced = await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, {
      listener: { sni_container_refs: [certA2.ref, certB.ref], default_pool_id: securePool.body.pool.id },
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    await settle();
    const afterReplace = await get('a.example');
    assert.equal(afterReplace.fingerprint, fingerprintOf(pki.a2.certPem));
    assert.notEqual(afterReplace.fingerprint, fingerprintOf(pki.a.certPem));
    assert.equal(afterReplace.body, 'secure');
    const freed = await app.request('DELETE', `/v2/fulcrum/certificates/${certA.id}`);
    assert.equal(freed.status, 204, 'the replaced certificate is no longer in use');

    // Dropping client authentication removes its files from the amphora.
    await app.request('PUT', `/v2/lbaas/listeners/${listenerId}`, {
      listener: { client_authentication: 'NONE', client_crl_container_ref: null, client_ca_tls_container_ref: null },
    });
    await settle();
    assert.ok(!files().some((f) => f.includes('client')), `client CA and CRL files removed: ${files().join(', ')}`);
    assert.ok(files().some((f) => f.endsWith('-ca.pem')), 'the pool CA file stays');

    const del = await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`);
    assert.equal(del.status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 60_000);
  });
});
