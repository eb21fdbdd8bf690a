// The real OpenStack clients against a real `fulcrum serve` process: openstacksdk (through
// test/clients/sdk_driver.py) and the `openstack loadbalancer` CLI (python-octaviaclient) each
// drive a whole life cycle of load balancer, listener, pool, member and health monitor, with no
// Keystone. Both clients are Debian packages (.ci/run installs them) for /usr/bin/python3.
//
// How the clients reach Fulcrum without Keystone:
//   CLI: openstack --os-auth-type none --os-endpoint http://127.0.0.1:PORT loadbalancer …
//   SDK: openstack.connect(auth_type='none', load_balancer_endpoint_override='http://127.0.0.1:PORT')
// Neither client can send X-Project-Id. The SDK puts project_id in the create body. The CLI
// cannot create a load balancer against a Fulcrum with no Neutron and no Keystone: it resolves
// --vip-subnet-id through Neutron (GET /v2.0/subnets) and --project through Keystone before it
// sends anything. So the CLI's load balancer is created over plain HTTP, as the README shows
// with curl, and the CLI drives everything after that.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, cleanEnv, startServe, stopChild, type Server } from '../helpers/fulcrum-serve.ts';
// The interpreter the Debian client packages are installed for (a pyenv python3 on PATH would
// not have them); the CLI's own shebang points at it too.
const PYTHON = '/usr/bin/python3';
const OPENSTACK = '/usr/bin/openstack';
const SDK_DRIVER = join(ROOT, 'test/clients/sdk_driver.py');
// The noop network driver accepts any UUID as a VIP subnet.
const SUBNET = '8b6c4c0e-1d2e-4f1a-9f0a-1b2c3d4e5f60';
const PROJECT = 'project-clients';
const WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `probe` until `done` holds; fails on a provisioning_status of ERROR or after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T>, done: (v: NoInfer<T>) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if ((value as { provisioning_status?: string } | null)?.provisioning_status === 'ERROR') {
      throw new Error(`${what}: went to ERROR: ${JSON.stringify(value)}`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms; last seen ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

const isActive = (o: { provisioning_status?: string } | null) => o?.provisioning_status === 'ACTIVE';

// ---------------------------------------------------------------------------------------------
// The server (test/helpers/fulcrum-serve.ts).

function startServer(): Promise<Server> {
  // VIPs on any subnet UUID: these tests are about the clients, not about IPAM.
  return startServe('clients', { FULCRUM_NETWORK_DRIVER: 'noop', FULCRUM_DEFAULT_PROVIDER: 'noop' });
}

// ---------------------------------------------------------------------------------------------
// openstacksdk, one long-lived Python process answering JSON calls (see sdk_driver.py).

class SdkError extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly statusCode: number | null,
  ) {
    super(message);
  }
}

class Sdk {
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private stderr = '';

  constructor(url: string) {
    this.child = spawn(PYTHON, [SDK_DRIVER, url], { cwd: ROOT, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const answer = JSON.parse(line) as { id: number; result?: unknown; error?: { type: string; status_code: number | null; message: string } };
      const waiter = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (!waiter) return;
      if (answer.error) waiter.reject(new SdkError(`openstacksdk ${answer.error.type}: ${answer.error.message}`, answer.error.type, answer.error.status_code));
      else waiter.resolve(answer.result);
    });
    this.child.once('exit', (code) => {
      for (const w of this.pending.values()) w.reject(new Error(`sdk_driver.py exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Calls conn.load_balancer.<method>(*args, **kwargs); bounded, so a hung call fails the test. */
  call(method: string, kwargs: Record<string, unknown> = {}, args: unknown[] = [], timeoutMs = 20_000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`openstacksdk ${method} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin!.write(JSON.stringify({ id, method, args, kwargs }) + '\n');
    });
  }

  /** The call's error status code, or null when it succeeded. */
  async statusOf(method: string, args: unknown[]): Promise<number | null> {
    try {
      await this.call(method, {}, args);
      return null;
    } catch (err) {
      if (err instanceof SdkError) return err.statusCode;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.child.stdin!.end(); // the driver exits at end of input
    await stopChild(this.child, 5_000);
  }
}

// ---------------------------------------------------------------------------------------------
// The `openstack` CLI: one process per command, exactly as a user runs it.

function cli(url: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const argv = ['--os-auth-type', 'none', '--os-endpoint', url, 'loadbalancer', ...args];
  return new Promise((resolve, reject) => {
    execFile(OPENSTACK, argv, { env: cleanEnv(), timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `killed after ${timeoutMs} ms` : `exit ${String(err.code)}`;
        reject(Object.assign(new Error(`openstack loadbalancer ${args.join(' ')}: ${why}\n${stderr.trim()}`), { stderr }));
      } else resolve(stdout);
    });
  });
}

async function cliJson(url: string, args: string[]): Promise<any> {
  const out = await cli(url, [...args, '-f', 'json']);
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`openstack loadbalancer ${args.join(' ')} -f json printed no JSON: ${out}`);
  }
}

/** The CLI's stderr for a command that must fail. */
async function cliFailure(url: string, args: string[]): Promise<string> {
  try {
    await cli(url, args);
  } catch (err) {
    return (err as { stderr?: string }).stderr ?? String(err);
  }
  assert.fail(`openstack loadbalancer ${args.join(' ')} succeeded but should have failed`);
}

/** Octaviaclient prints dict fields (session_persistence) as `key=value` lines. */
function parseHash(text: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('openstack clients against fulcrum serve', { concurrency: true }, () => {
  let server: Server | undefined;
  let sdk: Sdk | undefined;

  before(async () => {
    for (const path of [PYTHON, OPENSTACK]) {
      if (!existsSync(path)) throw new Error(`${path} is missing: install python3-openstacksdk and python3-octaviaclient (.ci/run does)`);
    }
    server = await startServer();
    sdk = new Sdk(server.url);
  });

  after(async () => {
    await sdk?.stop();
    await stopChild(server?.child, 10_000);
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
  });

  describe('openstacksdk', { concurrency: 1 }, () => {
    const ids: Record<string, string> = {};
    const need = (key: string) => {
      assert.ok(ids[key], `needs the ${key} an earlier step should have created`);
      return ids[key];
    };
    const call = (method: string, kwargs: Record<string, unknown> = {}, ...args: unknown[]) => sdk!.call(method, kwargs, args);
    const lbActive = (what: string) => until(what, () => call('get_load_balancer', {}, need('lb')), isActive);

    test('load balancer: create, wait ACTIVE, list, show, update, status tree, stats', async () => {
      const created = await call('create_load_balancer', {
        name: 'sdk-lb',
        description: 'made by openstacksdk',
        vip_subnet_id: SUBNET,
        project_id: PROJECT,
      });
      assert.equal(created.provisioning_status, 'PENDING_CREATE');
      assert.equal(created.name, 'sdk-lb');
      assert.equal(created.project_id, PROJECT);
      assert.equal(created.vip_subnet_id, SUBNET);
      assert.equal(created.provider, 'noop');
      ids.lb = created.id;

      // The SDK's own waiter, as a user would call it.
      const active = await call('wait_for_load_balancer', { interval: 0.2, wait: 15 }, ids.lb);
      assert.equal(active.provisioning_status, 'ACTIVE');

      const listed = await call('load_balancers', { name: 'sdk-lb' });
      assert.deepEqual(listed.map((lb: { id: string }) => lb.id), [ids.lb]);

      const updated = await call('update_load_balancer', { name: 'sdk-lb-renamed', description: 'renamed by openstacksdk' }, ids.lb);
      assert.equal(updated.name, 'sdk-lb-renamed');
      const shown = await lbActive('load balancer update');
      assert.equal(shown.name, 'sdk-lb-renamed');
      assert.equal(shown.description, 'renamed by openstacksdk');
      assert.equal(shown.project_id, PROJECT);

      const stats = await call('get_load_balancer_statistics', {}, ids.lb);
      for (const key of ['bytes_in', 'bytes_out', 'active_connections', 'total_connections', 'request_errors']) assert.equal(stats[key], 0, key);

      // openstacksdk 0.101 has no status-tree method: the request goes through its proxy.
      const tree = await call('request', { method: 'GET', url: `/lbaas/loadbalancers/${ids.lb}/status` });
      assert.equal(tree.status_code, 200);
      assert.equal(tree.body.statuses.loadbalancer.id, ids.lb);
      assert.equal(tree.body.statuses.loadbalancer.provisioning_status, 'ACTIVE');
    });

    test('listener: create, show, list, update, stats', async () => {
      const created = await call('create_listener', {
        name: 'sdk-listener',
        loadbalancer_id: need('lb'),
        protocol: 'HTTP',
        protocol_port: 80,
        connection_limit: 100,
      });
      assert.equal(created.provisioning_status, 'PENDING_CREATE');
      ids.listener = created.id;
      const active = await until('listener create', () => call('get_listener', {}, ids.listener), isActive);
      assert.equal(active.protocol, 'HTTP');
      assert.equal(active.protocol_port, 80);
      assert.equal(active.connection_limit, 100);
      assert.deepEqual(active.load_balancers.map((l: { id: string }) => l.id), [ids.lb]);
      await lbActive('load balancer after listener create');

      const listed = await call('listeners', { name: 'sdk-listener' });
      assert.deepEqual(listed.map((l: { id: string }) => l.id), [ids.listener]);

      await call('update_listener', { name: 'sdk-listener-renamed', connection_limit: 200 }, ids.listener);
      const updated = await until('listener update', () => call('get_listener', {}, ids.listener), isActive);
      assert.equal(updated.name, 'sdk-listener-renamed');
      assert.equal(updated.connection_limit, 200);
      await lbActive('load balancer after listener update');

      const stats = await call('get_listener_statistics', {}, ids.listener);
      assert.equal(stats.total_connections, 0);
    });

    test('pool with session persistence: create on the listener, update persistence and algorithm', async () => {
      const created = await call('create_pool', {
        name: 'sdk-pool',
        listener_id: need('listener'),
        protocol: 'HTTP',
        lb_algorithm: 'ROUND_ROBIN',
        session_persistence: { type: 'APP_COOKIE', cookie_name: 'sid' },
      });
      ids.pool = created.id;
      const active = await until('pool create', () => call('get_pool', {}, ids.pool), isActive);
      assert.equal(active.lb_algorithm, 'ROUND_ROBIN');
      assert.equal(active.session_persistence.type, 'APP_COOKIE');
      assert.equal(active.session_persistence.cookie_name, 'sid');
      await lbActive('load balancer after pool create');
      const listener = await call('get_listener', {}, ids.listener);
      assert.equal(listener.default_pool_id, ids.pool);

      await call('update_pool', { lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'HTTP_COOKIE' } }, ids.pool);
      const updated = await until('pool update', () => call('get_pool', {}, ids.pool), isActive);
      assert.equal(updated.lb_algorithm, 'LEAST_CONNECTIONS');
      assert.equal(updated.session_persistence.type, 'HTTP_COOKIE');
      assert.equal(updated.session_persistence.cookie_name, null);
      await lbActive('load balancer after pool update');
    });

    test('members: create, set weight, list, batch update through the proxy', async () => {
      const pool = need('pool');
      const created = await call('create_member', { name: 'sdk-m1', address: '192.0.2.10', protocol_port: 8080, weight: 5 }, pool);
      ids.member = created.id;
      const active = await until('member create', () => call('get_member', {}, ids.member, pool), isActive);
      assert.equal(active.address, '192.0.2.10');
      assert.equal(active.protocol_port, 8080);
      assert.equal(active.weight, 5);
      await lbActive('load balancer after member create');

      await call('update_member', { weight: 10 }, ids.member, pool);
      const reweighted = await until('member update', () => call('get_member', {}, ids.member, pool), isActive);
      assert.equal(reweighted.weight, 10);
      await lbActive('load balancer after member update');

      // Neither openstacksdk 0.101 nor octaviaclient 3.1 has a batch-member method; the SDK's
      // proxy is a keystoneauth adapter on the same endpoint, so the batch goes through it.
      const batch = await call('request', {
        method: 'PUT',
        url: `/lbaas/pools/${pool}/members`,
        json: {
          members: [
            { name: 'sdk-m1', address: '192.0.2.10', protocol_port: 8080, weight: 20 },
            { name: 'sdk-m2', address: '192.0.2.11', protocol_port: 8080 },
          ],
        },
      });
      assert.equal(batch.status_code, 202, JSON.stringify(batch.body));
      const members = await until(
        'batch member update',
        () => call('members', {}, pool),
        (ms: { provisioning_status: string }[]) => ms.length === 2 && ms.every(isActive),
      );
      const byAddress = Object.fromEntries(members.map((m: { address: string }) => [m.address, m]));
      assert.equal(byAddress['192.0.2.10'].id, ids.member, 'the listed member is updated in place');
      assert.equal(byAddress['192.0.2.10'].weight, 20);
      assert.equal(byAddress['192.0.2.11'].name, 'sdk-m2');
      assert.equal(byAddress['192.0.2.11'].weight, 1);
      ids.member2 = byAddress['192.0.2.11'].id;
      await lbActive('load balancer after batch update');
    });

    test('health monitor: create, update, pool points at it', async () => {
      const created = await call('create_health_monitor', {
        name: 'sdk-hm',
        pool_id: need('pool'),
        type: 'HTTP',
        delay: 5,
        timeout: 3,
        max_retries: 2,
        url_path: '/healthz',
        expected_codes: '200,204',
      });
      ids.hm = created.id;
      const active = await until('health monitor create', () => call('get_health_monitor', {}, ids.hm), isActive);
      assert.equal(active.type, 'HTTP');
      assert.equal(active.url_path, '/healthz');
      assert.equal(active.expected_codes, '200,204');
      assert.equal(active.max_retries_down, 3);
      await lbActive('load balancer after health monitor create');
      assert.equal((await call('get_pool', {}, ids.pool)).health_monitor_id, ids.hm);

      await call('update_health_monitor', { delay: 10, name: 'sdk-hm-renamed' }, ids.hm);
      const updated = await until('health monitor update', () => call('get_health_monitor', {}, ids.hm), isActive);
      assert.equal(updated.delay, 10);
      assert.equal(updated.name, 'sdk-hm-renamed');
      await lbActive('load balancer after health monitor update');
    });

    test('delete health monitor, members, pool, listener, load balancer: each then 404', async () => {
      const gone = (what: string, method: string, ...args: unknown[]) =>
        until(what, () => sdk!.statusOf(method, args), (status) => status === 404);
      const lb = need('lb');
      if (ids.hm) {
        await call('delete_health_monitor', { ignore_missing: false }, ids.hm);
        await gone('health monitor delete', 'get_health_monitor', ids.hm);
        await lbActive('load balancer after health monitor delete');
      }
      for (const member of [ids.member, ids.member2].filter(Boolean)) {
        await call('delete_member', { ignore_missing: false }, member, ids.pool);
        await gone('member delete', 'get_member', member, ids.pool);
        await lbActive('load balancer after member delete');
      }
      if (ids.pool) {
        await call('delete_pool', { ignore_missing: false }, ids.pool);
        await gone('pool delete', 'get_pool', ids.pool);
        await lbActive('load balancer after pool delete');
      }
      if (ids.listener) {
        await call('delete_listener', { ignore_missing: false }, ids.listener);
        await gone('listener delete', 'get_listener', ids.listener);
        await lbActive('load balancer after listener delete');
      }
      await call('delete_load_balancer', { ignore_missing: false }, lb);
      await gone('load balancer delete', 'get_load_balancer', lb);
      assert.deepEqual(await call('load_balancers', { name: 'sdk-lb-renamed' }), []);
      // Every step of the life cycle must have run for this test to count as a pass.
      for (const key of ['listener', 'pool', 'member', 'member2', 'hm']) need(key);
    });
  });

  describe('openstack loadbalancer CLI', { concurrency: 1 }, () => {
    // Every CLI command is a new Python process (about a second), so the CLI runs each command
    // once and asserts on what it prints; waiting for a write to settle is done over plain
    // HTTP, which is not what is under test here.
    const ids: Record<string, string> = {};
    const need = (key: string) => {
      assert.ok(ids[key], `needs the ${key} an earlier step should have created`);
      return ids[key];
    };
    const url = () => server!.url;
    const get = async (path: string) => {
      const res = await fetch(`${url()}/v2/lbaas/${path}`, { headers: { 'x-project-id': PROJECT } });
      return { status: res.status, body: (await res.json()) as any };
    };
    /** Waits until the load balancer (and so everything its last write locked) is ACTIVE. */
    const settled = (what: string) => until(what, async () => (await get(`loadbalancers/${need('lb')}`)).body.loadbalancer, isActive);
    const gone = (what: string, path: string) => until(what, async () => (await get(path)).status, (s) => s === 404);

    test('load balancer: list, set by name, show, status show, stats show', async () => {
      // Created over HTTP: see the header comment for why the CLI cannot create it here.
      const res = await fetch(`${url()}/v2/lbaas/loadbalancers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-project-id': PROJECT },
        body: JSON.stringify({ loadbalancer: { name: 'cli-lb', vip_subnet_id: SUBNET } }),
      });
      assert.equal(res.status, 201);
      ids.lb = ((await res.json()) as { loadbalancer: { id: string } }).loadbalancer.id;
      await settled('load balancer create');

      const listed = await cliJson(url(), ['list']);
      const row = listed.find((lb: { id: string }) => lb.id === ids.lb);
      assert.ok(row, `loadbalancer list has ${ids.lb}: ${JSON.stringify(listed)}`);
      assert.equal(row.name, 'cli-lb');
      assert.equal(row.project_id, PROJECT);
      assert.equal(row.provisioning_status, 'ACTIVE');
      assert.equal(row.provider, 'noop');

      // By name: the CLI resolves it to the id with a filtered list first.
      assert.equal(await cli(url(), ['set', '--name', 'cli-lb-renamed', '--description', 'set by the CLI', 'cli-lb']), '');
      await settled('load balancer set');
      const shown = await cliJson(url(), ['show', ids.lb]);
      assert.equal(shown.name, 'cli-lb-renamed');
      assert.equal(shown.description, 'set by the CLI');
      assert.equal(shown.vip_subnet_id, SUBNET);
      assert.equal(shown.provisioning_status, 'ACTIVE');
      assert.notEqual(shown.updated_at, null);

      const tree = JSON.parse(await cli(url(), ['status', 'show', ids.lb]));
      assert.equal(tree.loadbalancer.id, ids.lb);
      assert.equal(tree.loadbalancer.name, 'cli-lb-renamed');
      assert.equal(tree.loadbalancer.provisioning_status, 'ACTIVE');
      assert.deepEqual(tree.loadbalancer.listeners, []);

      const stats = await cliJson(url(), ['stats', 'show', ids.lb]);
      assert.deepEqual(stats, { active_connections: 0, bytes_in: 0, bytes_out: 0, request_errors: 0, total_connections: 0 });
    });

    test('listener: create --wait, list, set, show', async () => {
      // --wait polls the load balancer every 3 s (octaviaclient's fixed interval), then shows
      // the listener; it needs `loadbalancers[0].id` in the create response.
      const created = await cliJson(url(), [
        'listener', 'create', '--name', 'cli-listener', '--protocol', 'HTTP', '--protocol-port', '8080', '--connection-limit', '100', '--wait', need('lb'),
      ]);
      ids.listener = created.id;
      assert.equal(created.provisioning_status, 'ACTIVE');
      assert.equal(created.protocol_port, 8080);
      assert.equal(created.connection_limit, 100); // the CLI sends it as the string "100"
      assert.equal(created.loadbalancers, ids.lb);

      const listed = await cliJson(url(), ['listener', 'list', '--loadbalancer', ids.lb]);
      assert.deepEqual(listed.map((l: { id: string; name: string }) => [l.id, l.name]), [[ids.listener, 'cli-listener']]);

      await cli(url(), ['listener', 'set', '--name', 'cli-listener-renamed', '--connection-limit', '200', ids.listener]);
      await settled('listener set');
      const updated = await cliJson(url(), ['listener', 'show', ids.listener]);
      assert.equal(updated.name, 'cli-listener-renamed');
      assert.equal(updated.connection_limit, 200);
      assert.equal(updated.provisioning_status, 'ACTIVE');
    });

    test('pool with session persistence: create, set, show', async () => {
      const created = await cliJson(url(), [
        'pool', 'create', '--name', 'cli-pool', '--protocol', 'HTTP', '--listener', need('listener'),
        '--lb-algorithm', 'ROUND_ROBIN', '--session-persistence', 'type=APP_COOKIE,cookie_name=sid',
      ]);
      ids.pool = created.id;
      assert.equal(created.lb_algorithm, 'ROUND_ROBIN');
      assert.equal(created.listeners, ids.listener);
      const persistence = parseHash(created.session_persistence);
      assert.equal(persistence.type, 'APP_COOKIE');
      assert.equal(persistence.cookie_name, 'sid');
      await settled('pool create');

      await cli(url(), ['pool', 'set', '--lb-algorithm', 'SOURCE_IP', '--session-persistence', 'type=HTTP_COOKIE', 'cli-pool']);
      await settled('pool set');
      const updated = await cliJson(url(), ['pool', 'show', ids.pool]);
      assert.equal(updated.lb_algorithm, 'SOURCE_IP');
      assert.equal(parseHash(updated.session_persistence).type, 'HTTP_COOKIE');
      assert.equal(parseHash(updated.session_persistence).cookie_name, 'None');
      assert.equal(updated.provisioning_status, 'ACTIVE');
    });

    test('member: create, set weight, show by name, list', async () => {
      const pool = need('pool');
      const created = await cliJson(url(), ['member', 'create', '--name', 'cli-m1', '--address', '192.0.2.20', '--protocol-port', '80', '--weight', '5', pool]);
      ids.member = created.id;
      assert.equal(created.address, '192.0.2.20');
      assert.equal(created.protocol_port, 80);
      assert.equal(created.weight, 5);
      await settled('member create');

      await cli(url(), ['member', 'set', '--weight', '42', pool, ids.member]);
      await settled('member set');
      const shown = await cliJson(url(), ['member', 'show', pool, 'cli-m1']);
      assert.equal(shown.id, ids.member);
      assert.equal(shown.weight, 42);
      assert.equal(shown.provisioning_status, 'ACTIVE');

      const listed = await cliJson(url(), ['member', 'list', pool]);
      assert.deepEqual(listed.map((m: { id: string; weight: number }) => [m.id, m.weight]), [[ids.member, 42]]);
    });

    test('health monitor: create, set, show; status show has the whole tree ACTIVE', async () => {
      const created = await cliJson(url(), [
        'healthmonitor', 'create', '--name', 'cli-hm', '--delay', '5', '--timeout', '3', '--max-retries', '2',
        '--type', 'HTTP', '--url-path', '/healthz', need('pool'),
      ]);
      ids.hm = created.id;
      assert.equal(created.type, 'HTTP');
      assert.equal(created.url_path, '/healthz');
      assert.equal(created.pools, ids.pool);
      await settled('health monitor create');

      await cli(url(), ['healthmonitor', 'set', '--delay', '7', '--name', 'cli-hm-renamed', ids.hm]);
      await settled('health monitor set');
      const updated = await cliJson(url(), ['healthmonitor', 'show', ids.hm]);
      assert.equal(updated.delay, 7);
      assert.equal(updated.name, 'cli-hm-renamed');
      assert.equal(updated.provisioning_status, 'ACTIVE');

      const tree = JSON.parse(await cli(url(), ['status', 'show', ids.lb])).loadbalancer;
      const [listener] = tree.listeners;
      assert.equal(listener.id, ids.listener);
      const [pool] = listener.pools;
      assert.equal(pool.id, ids.pool);
      assert.equal(pool.health_monitor.id, ids.hm);
      assert.deepEqual(pool.members.map((m: { id: string }) => m.id), [ids.member]);
      for (const node of [tree, listener, pool, pool.health_monitor, pool.members[0]]) assert.equal(node.provisioning_status, 'ACTIVE');
    });

    test('delete health monitor, member, pool, listener, then load balancer --wait: each gone', async () => {
      const lb = need('lb');
      if (ids.hm) {
        await cli(url(), ['healthmonitor', 'delete', ids.hm]);
        await gone('health monitor delete', `healthmonitors/${ids.hm}`);
        await settled('health monitor delete');
      }
      if (ids.member) {
        await cli(url(), ['member', 'delete', ids.pool, ids.member]);
        await gone('member delete', `pools/${ids.pool}/members/${ids.member}`);
        await settled('member delete');
      }
      if (ids.pool) {
        await cli(url(), ['pool', 'delete', ids.pool]);
        await gone('pool delete', `pools/${ids.pool}`);
        await settled('pool delete');
      }
      if (ids.listener) {
        await cli(url(), ['listener', 'delete', ids.listener]);
        await gone('listener delete', `listeners/${ids.listener}`);
        await settled('listener delete');
      }
      // What the CLI sees once the children are gone: an empty status tree.
      const tree = JSON.parse(await cli(url(), ['status', 'show', lb])).loadbalancer;
      assert.deepEqual(tree.listeners, []);

      // --wait polls until the show answers 404.
      await cli(url(), ['delete', '--wait', lb]);
      assert.match(await cliFailure(url(), ['show', lb]), /Unable to locate/);
      for (const key of ['listener', 'pool', 'member', 'hm']) need(key);
    });
  });
});
