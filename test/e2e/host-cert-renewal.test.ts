// A joined host's agent certificate, issued short-lived here (30 s), is renewed by the
// controller's housekeeping before it expires: the agent makes the new key, the controller
// signs its request, and the agent serves the new certificate with no restart. The load
// balancer on the host serves throughout and is still managed once the first certificate has
// expired (a member added then reaches HAProxy), and the operator sees the expiry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, freePort, startBackend, type Backend } from '../helpers/data-plane.ts';
import { exitOf, startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { AgentClient } from '../../src/amphora/agent-client.ts';
import { controllerCa, controllerClientTls } from '../../src/pki/ca-store.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';
import { servedSerial } from '../../src/compute/agent-cert-renewal.ts';
import { startHostCertificateRenewal } from '../../src/runtime.ts';
import type { HostCertificateRenewal } from '../../src/housekeeping/host-cert-renewal.ts';

const VALIDITY_S = 30;
const PROBE_BOUND = 20_000;

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sequential GETs until stopped (bounded in count and time); the answers and the failures. */
function probe(url: string, maxMs: number) {
  const r = { ok: 0, failures: [] as string[] };
  let stopping = false;
  const deadline = Date.now() + maxMs;
  const loop = (async () => {
    for (let i = 0; i < PROBE_BOUND && !stopping && Date.now() < deadline; i++) {
      await fetchText(url, 2000).then(
        () => r.ok++,
        (err: Error) => r.failures.push(err.message),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return r;
    },
  };
}

describe('renewal of a joined host agent certificate', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let controller: string;
  let a: Backend;
  let b: Backend;
  let dir: string;
  let port: number;
  let hostProc: FulcrumProcess;
  let hostId: string;
  let renewal: HostCertificateRenewal | null = null;
  let joinSerial: string;
  let joinExpiry: Date;
  let joinKey: string;
  let lb: { id: string; url: string; poolId: string };

  const hostRow = async () => (await app.request('GET', `/v2/fulcrum/hosts/${hostId}`)).body.host;
  const caPem = async () => (await controllerCa(app.rt.database.db, secretStoreFor(app.rt.config))).certPem;
  const utc = (s: string) => new Date(s.endsWith('Z') ? s : `${s}Z`);

  before(async () => {
    env = await startProcessAmphoraApp('hostcert', [216, 229], 200, {
      heartbeatIntervalMs: 300,
      heartbeatTimeoutMs: 2000,
      hostCertValiditySeconds: VALIDITY_S,
      hostCertRenewPercent: 50,
      hostCertCheckMs: 500,
    });
    app = env.app;
    controller = await app.api.listen({ host: '127.0.0.1', port: 0 });
    [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
    await app.rt.dataPlane.compute();
    const local = (await app.request('GET', '/v2/fulcrum/hosts?kind=local')).body.hosts[0];
    await app.request('PUT', `/v2/fulcrum/hosts/${local.id}`, { host: { admin_state: 'DISABLED' } });
    dir = mkdtempSync(join(tmpdir(), 'fulcrum-host-cert-'));
    port = await freePort();
    const token = (await app.request('POST', '/v2/fulcrum/hosts/join-tokens', {})).body.join_token.token;
    hostProc = startFulcrum(['host', 'join', '--controller', controller, '--token', token, '--name', 'h1', '--address', '127.0.0.1', '--port', String(port), '--data-dir', dir], {});
    await until('the host agent to listen', async () => /amphora agent of host .* listening/.test(hostProc.output()));
    hostId = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')).id;
  });

  after(async () => {
    await renewal?.stop();
    await hostProc?.stop('SIGKILL');
    const runDir = join(dir, 'run');
    for (const amphora of existsSync(runDir) ? readdirSync(runDir) : []) {
      const pidFile = join(runDir, amphora, 'haproxy.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
    await a?.close();
    await b?.close();
    await env?.close();
  });

  test('the join records the certificate the host serves, with its expiry', async () => {
    const host = await hostRow();
    joinSerial = host.certificate_serial;
    joinExpiry = utc(host.certificate_expires_at);
    joinKey = readFileSync(join(dir, 'pki', 'host-key.pem'), 'utf8');
    assert.equal(await servedSerial('127.0.0.1', port, await caPem()), joinSerial);
    const left = joinExpiry.getTime() - Date.now();
    assert.ok(left > 0 && left <= VALIDITY_S * 1000, `${left} ms left`);
    assert.equal(host.certificate_renewed_at, null);
  });

  test('a load balancer placed on the host serves', async () => {
    const listenerPort = 8100;
    const res = await app.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        vip_subnet_id: env.subnetId,
        listeners: [{ protocol: 'HTTP', protocol_port: listenerPort, default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: a.port }] } }],
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const created = await app.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
    assert.equal(created.provisioning_status, 'ACTIVE');
    const amphora = await app.rt.database.db.selectFrom('amphora').select('host_id').where('load_balancer_id', '=', created.id).where('status', '=', 'ALLOCATED').executeTakeFirstOrThrow();
    assert.equal(amphora.host_id, hostId);
    lb = { id: created.id, url: `http://${created.vip_address}:${listenerPort}/`, poolId: created.pools[0].id };
    assert.equal(await fetchText(lb.url), 'a');
  });

  test('housekeeping renews the certificate before it expires; the agent serves the new one, the load balancer serves throughout', async () => {
    const hostPid = hostProc.child.pid!;
    const load = probe(lb.url, 60_000);
    renewal = startHostCertificateRenewal(app.rt);
    assert.ok(renewal);
    const renewed = await until('the certificate to be renewed', async () => {
      const h = await hostRow();
      return h.certificate_serial !== joinSerial ? h : null;
    }, VALIDITY_S * 1000);
    assert.ok(utc(renewed.certificate_renewed_at) < joinExpiry, 'renewed before the first certificate expired');
    assert.ok(utc(renewed.certificate_expires_at) > joinExpiry);
    assert.equal(renewed.certificate_renewal_error, null);
    // A new TLS session is shown the certificate the inventory records (a later renewal may
    // have followed meanwhile: it is compared with the row as it is then).
    const ca = await caPem();
    await until('the served serial to be the recorded one', async () => (await servedSerial('127.0.0.1', port, ca)) === (await hostRow()).certificate_serial, 5000);
    assert.notEqual(await servedSerial('127.0.0.1', port, ca), joinSerial);
    // The key on disk is new, and the agent process is the one that joined.
    assert.notEqual(readFileSync(join(dir, 'pki', 'host-key.pem'), 'utf8'), joinKey);
    process.kill(hostPid, 0);
    assert.equal(hostProc.child.exitCode, null);
    assert.doesNotMatch(hostProc.output(), /already joined/);

    // Past the first certificate's expiry: a new connection as the controller, checking the host id.
    await new Promise((r) => setTimeout(r, Math.max(0, joinExpiry.getTime() - Date.now() + 1000)));
    const result = await load.stop();
    assert.ok(result.ok > 50, `the prober got ${result.ok} answers`);
    assert.deepEqual(result.failures, [], 'no request failed while the certificate was renewed');
    const client = new AgentClient({ url: `https://127.0.0.1:${port}`, tls: await controllerClientTls(await controllerCa(app.rt.database.db, secretStoreFor(app.rt.config))), identity: hostId, connectTimeoutMs: 2000, timeoutMs: 5000 });
    try {
      assert.ok((await client.info()).amphorae.length === 1);
    } finally {
      await client.close();
    }
    await new Promise((r) => setTimeout(r, 2500));
    const host = await hostRow();
    assert.equal(host.operating_status, 'ONLINE', 'the host stays ONLINE after its first certificate expired');
  });

  test('after the first certificate expired, a member added reaches HAProxy on the host', async () => {
    const res = await app.request('POST', `/v2/lbaas/pools/${lb.poolId}/members`, { member: { address: '127.0.0.1', protocol_port: b.port } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 30_000)).provisioning_status, 'ACTIVE');
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) seen.add(await fetchText(lb.url));
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  test('the operator sees the certificate and its expiry in `fulcrum host show`', async () => {
    // Renewals go on meanwhile: the serial printed is one the host had while the command ran.
    const serials = new Set<string>([(await hostRow()).certificate_serial]);
    const p = startFulcrum(['host', 'show', 'h1', '--url', controller], {});
    const exited = exitOf(p);
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      serials.add((await hostRow()).certificate_serial);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await exited, 0, p.output());
    const printed = /^certificate\s+([0-9A-F]+)$/m.exec(p.output())?.[1];
    assert.ok(printed && serials.has(printed), `${printed} in:\n${p.output()}`);
    assert.notEqual(printed, joinSerial);
    assert.match(p.output(), /cert_expires_at\s+\S+ \(in \d+s\)/);
    assert.match(p.output(), /cert_renewed_at\s+\d{4}-/);
  });
});
