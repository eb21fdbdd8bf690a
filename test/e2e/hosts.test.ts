// Several amphora hosts on one machine, each its own `fulcrum host join` process with its own
// data dir and agent port on loopback (the process driver's VIPs are 127.x addresses, so every
// host's HAProxy answers on this machine): load balancers spread over them and serve; a
// restarted host needs no token; a host presenting another host's certificate is refused; a
// drained host empties while its load balancers keep serving; a killed host's load balancers
// come back on the others with no API call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from '../helpers/app.ts';
import { startProcessAmphoraApp, type AmphoraApp } from '../helpers/amphora-app.ts';
import { fetchText, freePort, killAmphoraDaemons, startBackend, type Backend } from '../helpers/data-plane.ts';
import { exitOf, startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { AgentClient } from '../../src/amphora/agent-client.ts';
import { controllerCa, controllerClientTls } from '../../src/pki/ca-store.ts';
import { secretStoreFor } from '../../src/certs/secret-store.ts';

const PROBE_BOUND = 20_000;
const PROBE_MAX_MS = 90_000;

interface JoinedHost {
  name: string;
  dir: string;
  port: number;
  proc: FulcrumProcess;
  id: string;
}

/** Sequential GETs until stopped (bounded); the failures and the longest run of them. */
function probe(url: string) {
  const r = { ok: 0, failures: [] as string[], longestOutageMs: 0 };
  let stopping = false;
  let downSince: number | null = null;
  const deadline = Date.now() + PROBE_MAX_MS;
  const loop = (async () => {
    for (let i = 0; i < PROBE_BOUND && !stopping && Date.now() < deadline; i++) {
      try {
        await fetchText(url, 2000);
        r.ok++;
        if (downSince !== null) r.longestOutageMs = Math.max(r.longestOutageMs, Date.now() - downSince);
        downSince = null;
      } catch (err) {
        r.failures.push((err as Error).message);
        downSince ??= Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
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

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('many hosts on one machine (process compute driver)', () => {
  let env: AmphoraApp;
  let app: TestApp;
  let controller: string;
  let backend: Backend;
  const joined: JoinedHost[] = [];
  const lbs: { id: string; url: string }[] = [];

  const hostRow = async (id: string) => (await app.request('GET', `/v2/fulcrum/hosts/${id}`)).body.host;
  const amphoraOf = async (lbId: string) =>
    app.rt.database.db.selectFrom('amphora').select(['id', 'host_id', 'status']).where('load_balancer_id', '=', lbId).where('status', '=', 'ALLOCATED').executeTakeFirst();

  async function token(): Promise<string> {
    return (await app.request('POST', '/v2/fulcrum/hosts/join-tokens', {})).body.join_token.token;
  }

  function startHost(name: string, dir: string, port: number, tok: string | null): FulcrumProcess {
    const args = ['host', 'join', '--controller', controller, '--name', name, '--address', '127.0.0.1', '--port', String(port), '--data-dir', dir];
    return startFulcrum(tok ? [...args, '--token', tok] : args, {});
  }

  const listening = (p: FulcrumProcess) => until('the host agent to listen', async () => /amphora agent of host .* listening/.test(p.output()));

  before(async () => {
    env = await startProcessAmphoraApp('hosts', [200, 215], 200, { autoFailover: true, heartbeatIntervalMs: 300, heartbeatTimeoutMs: 2000 });
    app = env.app;
    controller = await app.api.listen({ host: '127.0.0.1', port: 0 });
    backend = await startBackend('backend');
    // The controller's own agent (the one host of kind `local`) is kept out of these placements.
    await app.rt.dataPlane.compute();
    const local = (await app.request('GET', '/v2/fulcrum/hosts?kind=local')).body.hosts[0];
    assert.equal((await app.request('PUT', `/v2/fulcrum/hosts/${local.id}`, { host: { admin_state: 'DISABLED' } })).status, 200);
    for (const name of ['h1', 'h2', 'h3']) {
      const dir = mkdtempSync(join(tmpdir(), `fulcrum-host-${name}-`));
      const port = await freePort();
      const proc = startHost(name, dir, port, await token());
      await listening(proc);
      const id = JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')).id as string;
      joined.push({ name, dir, port, proc, id });
    }
  });

  after(async () => {
    for (const h of joined) {
      await h.proc.stop('SIGKILL');
      killAmphoraDaemons(join(h.dir, 'run'));
      rmSync(h.dir, { recursive: true, force: true });
    }
    await backend?.close();
    await env?.close();
  });

  test('joined hosts are ONLINE in the inventory, with their own certificates', async () => {
    const hosts = (await app.request('GET', '/v2/fulcrum/hosts?kind=joined&sort=name:asc')).body.hosts;
    assert.deepEqual(hosts.map((h: any) => [h.name, h.operating_status, h.admin_state]), [
      ['h1', 'ONLINE', 'ENABLED'],
      ['h2', 'ONLINE', 'ENABLED'],
      ['h3', 'ONLINE', 'ENABLED'],
    ]);
    const agents = await app.rt.dataPlane.agents();
    for (const h of joined) assert.equal(await agents.ping(`https://127.0.0.1:${h.port}`), true);
  });

  test('load balancers spread over the hosts, one each, and serve through their VIPs', async () => {
    for (let i = 0; i < 3; i++) {
      const port = 8000 + i;
      const res = await app.request('POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: {
          vip_subnet_id: env.subnetId,
          listeners: [{ protocol: 'HTTP', protocol_port: port, default_pool: { name: `pool-${i}`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] } }],
        },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      lbs.push({ id: res.body.loadbalancer.id, url: `http://${res.body.loadbalancer.vip_address}:${port}/` });
    }
    for (const lb of lbs) assert.equal((await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000)).provisioning_status, 'ACTIVE');
    const placed = await Promise.all(lbs.map(async (lb) => (await amphoraOf(lb.id))!.host_id));
    assert.deepEqual([...placed].sort(), joined.map((h) => h.id).sort(), 'one load balancer on each host');
    for (const lb of lbs) assert.equal(await fetchText(lb.url), 'backend');
    for (const h of joined) assert.equal((await hostRow(h.id)).amphora_count, 1);
  });

  test('the operator CLI lists, shows, disables and enables hosts over the API', async () => {
    const cli = async (...args: string[]) => {
      const p = startFulcrum([...args, '--url', controller], {});
      const code = await exitOf(p);
      assert.equal(code, 0, p.output());
      return p.output();
    };
    const list = await cli('host', 'list');
    assert.match(list, /^NAME\s+ID\s+ADDRESS/m);
    for (const h of joined) assert.match(list, new RegExp(`^${h.name}\\s+${h.id}\\s+127\\.0\\.0\\.1:${h.port}\\s+-\\s+ENABLED\\s+ONLINE\\s+1\\s`, 'm'));
    const show = await cli('host', 'show', 'h2');
    assert.match(show, /admin_state\s+ENABLED/);
    const lbOnH2 = (await Promise.all(lbs.map(async (l) => ({ l, a: await amphoraOf(l.id) })))).find((x) => x.a?.host_id === joined[1].id)!;
    assert.ok(show.includes(lbOnH2.a!.id), 'show lists the amphora on the host');
    assert.match(await cli('host', 'disable', 'h2'), /h2: DISABLED/);
    assert.equal((await hostRow(joined[1].id)).admin_state, 'DISABLED');
    assert.match(await cli('host', 'enable', joined[1].id), /h2: ENABLED/);
    assert.equal((await hostRow(joined[1].id)).admin_state, 'ENABLED');
  });

  test('a restarted host needs no token; one presenting another host certificate is refused', async () => {
    const h3 = joined[2];
    await h3.proc.stop('SIGTERM');
    h3.proc = startHost('h3', h3.dir, h3.port, null);
    await listening(h3.proc);
    assert.match(h3.proc.output(), /already joined/);
    const agents = await app.rt.dataPlane.agents();
    await until('h3 to answer again', () => agents.ping(`https://127.0.0.1:${h3.port}`));

    // An impostor: a fourth host joins properly, then serves with h1's certificate and key.
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-host-h4-'));
    const port = await freePort();
    let proc = startHost('h4', dir, port, await token());
    await listening(proc);
    const h4: JoinedHost = { name: 'h4', dir, port, proc, id: JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')).id };
    joined.push(h4);
    await proc.stop('SIGTERM');
    cpSync(join(joined[0].dir, 'pki', 'host.pem'), join(dir, 'pki', 'host.pem'));
    cpSync(join(joined[0].dir, 'pki', 'host-key.pem'), join(dir, 'pki', 'host-key.pem'));
    proc = startHost('h4', dir, port, null);
    h4.proc = proc;
    await listening(proc);
    const tls = await controllerClientTls(await controllerCa(app.rt.database.db, secretStoreFor(app.rt.config)));
    const client = new AgentClient({ url: `https://127.0.0.1:${port}`, tls, identity: h4.id, connectTimeoutMs: 2000, timeoutMs: 5000 });
    await assert.rejects(client.info(), /presented the certificate of host/);
    await client.close();
    assert.equal(await agents.ping(`https://127.0.0.1:${port}`), false);
    const offline = await until('the impostor host to be OFFLINE', async () => ((await hostRow(h4.id)).operating_status === 'OFFLINE' ? true : null), 30_000);
    assert.ok(offline);
    // Out of the way of the rest.
    await app.request('PUT', `/v2/fulcrum/hosts/${h4.id}`, { host: { admin_state: 'DISABLED' } });
  });

  test('a DRAINING host empties while its load balancer keeps serving', async () => {
    const h1 = joined[0];
    const lb = (await Promise.all(lbs.map(async (l) => ({ l, a: await amphoraOf(l.id) })))).find((x) => x.a?.host_id === h1.id)!.l;
    const load = probe(lb.url);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await app.request('PUT', `/v2/fulcrum/hosts/${h1.id}`, { host: { admin_state: 'DRAINING' } })).status, 200);
    await until('h1 to be empty', async () => ((await hostRow(h1.id)).amphora_count === 0 ? true : null), 60_000);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, 'loadbalancer', ['ACTIVE'], 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const result = await load.stop();
    const moved = await amphoraOf(lb.id);
    assert.ok(moved && moved.host_id !== h1.id && joined.some((h) => h.id === moved.host_id), 'the amphora runs on another joined host');
    assert.ok(result.ok > 10, `the prober got ${result.ok} answers`);
    assert.ok(result.failures.length <= 3, `${result.failures.length} of ${result.ok + result.failures.length} requests failed: ${result.failures.slice(0, 3).join('; ')}`);
    assert.equal(await fetchText(lb.url), 'backend');
  });

  test('a killed host goes OFFLINE and its load balancer comes back on another host with no API call', async () => {
    const victim = joined[1];
    const lb = (await Promise.all(lbs.map(async (l) => ({ l, a: await amphoraOf(l.id) })))).find((x) => x.a?.host_id === victim.id)?.l;
    assert.ok(lb, 'h2 runs a load balancer');
    await victim.proc.stop('SIGKILL');
    killAmphoraDaemons(join(victim.dir, 'run'));
    await until('h2 to be OFFLINE', async () => ((await hostRow(victim.id)).operating_status === 'OFFLINE' ? true : null), 30_000);
    const moved = await until(
      'the load balancer to run on another host',
      async () => {
        const a = await amphoraOf(lb.id);
        const status = (await app.request('GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status;
        return a && a.host_id !== victim.id && status === 'ACTIVE' ? a : null;
      },
      90_000,
    );
    assert.ok(joined.some((h) => h.id === moved.host_id && h.id !== victim.id));
    assert.equal(await until('the VIP to answer', async () => (await fetchText(lb.url)) === 'backend'), true);
  });
});
