// The `openstack loadbalancer` CLI (python-octaviaclient) as an OpenStack user runs it: password
// authentication against a real Keystone (test/helpers/keystone.ts), Fulcrum found through the
// Keystone catalog (`load-balancer` and `network` endpoints), `fulcrum serve` as a real process
// in keystone mode. A project member drives the load balancer tree (the VIP subnet resolved by
// name through Fulcrum's Neutron subset), the cloud admin the operator resources. Every
// resource type goes through create, show/list, set and delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cleanEnv, startServe, stopChild, type Server } from '../helpers/fulcrum-serve.ts';
import { startKeystone, type KeystoneUser, type TestKeystone } from '../helpers/keystone.ts';

const OPENSTACK = '/usr/bin/openstack';
const WAIT_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startServer(ks: TestKeystone): Promise<Server> {
  return startServe('cli-keystone', {
    // Fulcrum's own IPAM (the `local` network it registers), so that the CLI's subnet lookups
    // through the Neutron subset find real subnets; the noop provider builds no data plane.
    FULCRUM_NETWORK_DRIVER: 'local',
    FULCRUM_DEFAULT_PROVIDER: 'noop',
    FULCRUM_AUTH_STRATEGY: 'keystone',
    FULCRUM_KEYSTONE_AUTH_URL: ks.url,
    FULCRUM_KEYSTONE_USERNAME: ks.service.username,
    FULCRUM_KEYSTONE_PASSWORD: ks.service.password,
    FULCRUM_KEYSTONE_PROJECT_NAME: ks.service.projectName,
  });
}

function cli(user: KeystoneUser, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(OPENSTACK, ['loadbalancer', ...args], { env: cleanEnv(user.cliEnv), timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `killed after ${timeoutMs} ms` : `exit ${String(err.code)}`;
        reject(Object.assign(new Error(`openstack loadbalancer ${args.join(' ')}: ${why}\n${stderr.trim()}`), { stderr }));
      } else resolve(stdout);
    });
  });
}

async function cliJson(user: KeystoneUser, args: string[]): Promise<any> {
  const out = await cli(user, [...args, '-f', 'json']);
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`openstack loadbalancer ${args.join(' ')} -f json printed no JSON: ${out}`);
  }
}

async function cliFailure(user: KeystoneUser, args: string[]): Promise<string> {
  try {
    await cli(user, args);
  } catch (err) {
    return (err as { stderr?: string }).stderr ?? String(err);
  }
  assert.fail(`openstack loadbalancer ${args.join(' ')} succeeded but should have failed`);
}

// Some sixty CLI processes of about two seconds each: the whole file gets more than the
// runner's per-test default.
describe('openstack CLI with Keystone against fulcrum serve', { concurrency: 1, timeout: 15 * 60_000 }, () => {
  let ks: TestKeystone;
  let server: Server | undefined;
  let member: KeystoneUser;
  let admin: KeystoneUser;
  const ids: Record<string, string> = {};
  const need = (key: string) => {
    assert.ok(ids[key], `needs the ${key} an earlier step should have created`);
    return ids[key];
  };

  before(async () => {
    if (!existsSync(OPENSTACK)) throw new Error(`${OPENSTACK} is missing: install python3-octaviaclient (.ci/run does)`);
    ks = await startKeystone();
    server = await startServer(ks);
    await ks.registerEndpoint('load-balancer', 'octavia', server.url);
    await ks.registerEndpoint('network', 'neutron', `${server.url}/networking`);
    // Octavia's default policy: Keystone's member role alone opens nothing; load-balancer_member does.
    member = await ks.createProjectUser(['member', 'load-balancer_member'], 'demo');
    admin = ks.admin;
  });

  after(async () => {
    await stopChild(server?.child, 10_000);
    if (server) rmSync(server.dataDir, { recursive: true, force: true });
    await ks?.close();
  });

  // Waiting is polling, done over plain HTTP with a token: one CLI process per poll would
  // spend most of this test starting Python.
  const COLLECTIONS: Record<string, [string, string]> = {
    loadbalancer: ['loadbalancers', 'loadbalancer'],
    listener: ['listeners', 'listener'],
    pool: ['pools', 'pool'],
    healthmonitor: ['healthmonitors', 'healthmonitor'],
    l7policy: ['l7policies', 'l7policy'],
  };
  let memberToken: string | null = null;
  async function untilActive(kind: keyof typeof COLLECTIONS, id: string): Promise<any> {
    const token: string = (memberToken ??= (await ks.issueToken(member)).token);
    const [collection, key] = COLLECTIONS[kind];
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const res = await fetch(`${server!.url}/v2/lbaas/${collection}/${id}`, { headers: { 'x-auth-token': token } });
      assert.equal(res.status, 200, `GET ${collection}/${id}`);
      const obj = ((await res.json()) as Record<string, any>)[key];
      if (obj.provisioning_status === 'ACTIVE') return obj;
      if (obj.provisioning_status === 'ERROR') throw new Error(`${kind} ${id} went to ERROR`);
      if (Date.now() > deadline) throw new Error(`${kind} ${id} not ACTIVE in ${WAIT_MS} ms: ${JSON.stringify(obj)}`);
      await sleep(100);
    }
  }
  const lbActive = () => untilActive('loadbalancer', need('lb'));

  test('load balancer: created by a project member with the VIP subnet given by name', async () => {
    const subnets = await (await fetch(`${server!.url}/networking/v2.0/subnets?name=local`, { headers: { 'x-auth-token': (await ks.issueToken(member)).token } })).json();
    assert.equal(subnets.subnets.length, 1, JSON.stringify(subnets));
    const local = subnets.subnets[0];

    const lb = await cliJson(member, ['create', '--name', 'ks-lb', '--vip-subnet-id', 'local']);
    ids.lb = lb.id;
    assert.equal(lb.project_id, member.projectId);
    assert.equal(lb.vip_subnet_id, local.id);
    assert.equal(lb.vip_network_id, local.network_id);
    const active = await lbActive();
    assert.ok(active.vip_address.startsWith(local.cidr.split('.').slice(0, 2).join('.')), `${active.vip_address} in ${local.cidr}`);

    const listed = await cliJson(member, ['list']);
    assert.deepEqual(listed.map((l: any) => l.id), [ids.lb]);
    await cli(member, ['set', '--description', 'via keystone', ids.lb]);
    assert.equal((await lbActive()).description, 'via keystone');
  });

  test('another project sees nothing and may not touch it', async () => {
    const stranger = await ks.createProjectUser(['member', 'load-balancer_member']);
    assert.deepEqual(await cliJson(stranger, ['list']), []);
    assert.match(await cliFailure(stranger, ['show', need('lb')]), /Policy does not allow this request to be performed|403/);
  });

  test("Keystone's member role alone may not even list (Octavia's default policy)", async () => {
    const plain = await ks.createProjectUser(['member']);
    assert.match(await cliFailure(plain, ['list']), /Policy does not allow this request to be performed|403/);
    assert.match(await cliFailure(plain, ['provider', 'list']), /Policy does not allow this request to be performed|403/);
  });

  test('listener, pool, member (subnet by name), health monitor', async () => {
    const listener = await cliJson(member, ['listener', 'create', '--name', 'ks-listener', '--protocol', 'HTTP', '--protocol-port', '80', need('lb')]);
    ids.listener = listener.id;
    await untilActive('listener', ids.listener);
    await lbActive();

    const pool = await cliJson(member, ['pool', 'create', '--name', 'ks-pool', '--listener', ids.listener, '--protocol', 'HTTP', '--lb-algorithm', 'ROUND_ROBIN']);
    ids.pool = pool.id;
    await untilActive('pool', ids.pool);
    await lbActive();

    const m = await cliJson(member, ['member', 'create', '--name', 'ks-member', '--address', '10.250.0.10', '--protocol-port', '8080', '--subnet-id', 'local', ids.pool]);
    ids.member = m.id;
    await lbActive();
    const shownMember = await cliJson(member, ['member', 'show', ids.pool, ids.member]);
    assert.equal(shownMember.address, '10.250.0.10');
    assert.match(shownMember.subnet_id, /^[0-9a-f-]{36}$/);
    await cli(member, ['member', 'set', '--weight', '7', ids.pool, ids.member]);
    await lbActive();
    assert.equal((await cliJson(member, ['member', 'show', ids.pool, ids.member])).weight, 7);

    const hm = await cliJson(member, ['healthmonitor', 'create', '--name', 'ks-hm', '--delay', '5', '--timeout', '3', '--max-retries', '3', '--type', 'HTTP', ids.pool]);
    ids.hm = hm.id;
    await untilActive('healthmonitor', ids.hm);
    await lbActive();
    await cli(member, ['healthmonitor', 'set', '--delay', '7', ids.hm]);
    assert.equal((await untilActive('healthmonitor', ids.hm)).delay, 7);
    await lbActive();

    const [listeners, pools, members, hms] = await Promise.all([
      cliJson(member, ['listener', 'list']),
      cliJson(member, ['pool', 'list']),
      cliJson(member, ['member', 'list', ids.pool]),
      cliJson(member, ['healthmonitor', 'list']),
    ]);
    assert.deepEqual(listeners.map((l: any) => l.id), [ids.listener]);
    assert.deepEqual(pools.map((p: any) => p.id), [ids.pool]);
    assert.deepEqual(members.map((x: any) => x.id), [ids.member]);
    assert.deepEqual(hms.map((x: any) => x.id), [ids.hm]);
  });

  test('L7 policy and rule', async () => {
    const policy = await cliJson(member, ['l7policy', 'create', '--name', 'ks-l7', '--action', 'REDIRECT_TO_POOL', '--redirect-pool', need('pool'), need('listener')]);
    ids.l7policy = policy.id;
    await untilActive('l7policy', ids.l7policy);
    await lbActive();
    const rule = await cliJson(member, ['l7rule', 'create', '--compare-type', 'STARTS_WITH', '--type', 'PATH', '--value', '/api', ids.l7policy]);
    ids.l7rule = rule.id;
    await lbActive();
    const shown = await cliJson(member, ['l7rule', 'show', ids.l7policy, ids.l7rule]);
    assert.equal(shown.value, '/api');
    await cli(member, ['l7rule', 'set', '--value', '/v2', ids.l7policy, ids.l7rule]);
    await lbActive();
    assert.equal((await cliJson(member, ['l7rule', 'show', ids.l7policy, ids.l7rule])).value, '/v2');
    await cli(member, ['l7policy', 'set', '--name', 'ks-l7-renamed', ids.l7policy]);
    await lbActive();
    assert.deepEqual((await cliJson(member, ['l7policy', 'list'])).map((p: any) => p.name), ['ks-l7-renamed']);
    assert.deepEqual((await cliJson(member, ['l7rule', 'list', ids.l7policy])).map((r: any) => r.id), [ids.l7rule]);
  });

  test('statistics and the status tree', async () => {
    const stats = await cliJson(member, ['stats', 'show', need('lb')]);
    assert.equal(stats.total_connections, 0);
    const lstats = await cliJson(member, ['listener', 'stats', 'show', need('listener')]);
    assert.equal(lstats.request_errors, 0);
    // octaviaclient 3.x has no status command; the same token goes straight to the API.
    const token = (await ks.issueToken(member)).token;
    const res = await fetch(`${server!.url}/v2/lbaas/loadbalancers/${ids.lb}/status`, { headers: { 'x-auth-token': token } });
    assert.equal(res.status, 200);
    const tree = (await res.json()) as any;
    assert.equal(tree.statuses.loadbalancer.id, ids.lb);
    assert.equal(tree.statuses.loadbalancer.listeners[0].id, ids.listener);
  });

  test('quotas (cloud admin)', async () => {
    const defaults = await cliJson(admin, ['quota', 'defaults', 'show']);
    assert.ok('load_balancer' in defaults || 'loadbalancer' in defaults, JSON.stringify(defaults));
    await cli(admin, ['quota', 'set', '--loadbalancer', '5', '--listener', '20', member.projectId]);
    const shown = await cliJson(admin, ['quota', 'show', member.projectId]);
    assert.equal(Number(shown.load_balancer ?? shown.loadbalancer), 5);
    assert.equal(Number(shown.listener), 20);
    const listed = await cliJson(admin, ['quota', 'list']);
    assert.ok(listed.some((q: any) => q.project_id === member.projectId));
    // The member may read its own project's quota but not change it.
    assert.equal(Number((await cliJson(member, ['quota', 'show', member.projectId])).listener), 20);
    assert.match(await cliFailure(member, ['quota', 'set', '--listener', '99', member.projectId]), /Policy does not allow|403/);
    await cli(admin, ['quota', 'reset', member.projectId]);
  });

  test('providers and their capabilities', async () => {
    const providers = await cliJson(member, ['provider', 'list']);
    assert.ok(providers.some((p: any) => p.name === 'noop'), JSON.stringify(providers));
    const flavorCaps = await cliJson(admin, ['provider', 'capability', 'list', '--flavor', 'noop']);
    assert.ok(Array.isArray(flavorCaps));
    const azCaps = await cliJson(admin, ['provider', 'capability', 'list', '--availability-zone', 'noop']);
    assert.ok(Array.isArray(azCaps));
    assert.match(await cliFailure(member, ['provider', 'capability', 'list', 'noop']), /Policy does not allow|403/);
  });

  test('flavor profile and flavor (admin), flavors readable by the member', async () => {
    const fp = await cliJson(admin, ['flavorprofile', 'create', '--name', 'ks-fp', '--provider', 'noop', '--flavor-data', '{}']);
    ids.flavorprofile = fp.id;
    await cli(admin, ['flavorprofile', 'set', '--name', 'ks-fp-renamed', ids.flavorprofile]);
    assert.equal((await cliJson(admin, ['flavorprofile', 'show', ids.flavorprofile])).name, 'ks-fp-renamed');
    const flavor = await cliJson(admin, ['flavor', 'create', '--name', 'ks-flavor', '--flavorprofile', ids.flavorprofile, '--description', 'small']);
    ids.flavor = flavor.id;
    await cli(admin, ['flavor', 'set', '--name', 'ks-flavor-renamed', ids.flavor]);
    const shown = await cliJson(member, ['flavor', 'show', ids.flavor]);
    assert.equal(shown.name, 'ks-flavor-renamed');
    assert.equal(shown.description, 'small');
    assert.deepEqual((await cliJson(member, ['flavor', 'list'])).map((f: any) => f.name), ['ks-flavor-renamed']);
    assert.match(await cliFailure(member, ['flavorprofile', 'list']), /Policy does not allow|403/);
  });

  test('availability zone profile and availability zone (admin)', async () => {
    const azp = await cliJson(admin, ['availabilityzoneprofile', 'create', '--name', 'ks-azp', '--provider', 'noop', '--availability-zone-data', '{}']);
    ids.azprofile = azp.id;
    await cli(admin, ['availabilityzoneprofile', 'set', '--name', 'ks-azp-renamed', ids.azprofile]);
    assert.equal((await cliJson(admin, ['availabilityzoneprofile', 'show', ids.azprofile])).name, 'ks-azp-renamed');
    await cliJson(admin, ['availabilityzone', 'create', '--name', 'ks-az', '--availabilityzoneprofile', ids.azprofile, '--description', 'zone a']);
    ids.az = 'ks-az';
    await cli(admin, ['availabilityzone', 'set', '--description', 'zone A', ids.az]);
    assert.equal((await cliJson(member, ['availabilityzone', 'show', ids.az])).description, 'zone A');
    assert.deepEqual((await cliJson(member, ['availabilityzone', 'list'])).map((z: any) => z.name), ['ks-az']);
  });

  test('amphorae and load balancer failover (admin)', async () => {
    // The noop provider runs no amphorae.
    assert.deepEqual(await cliJson(admin, ['amphora', 'list', '--loadbalancer', need('lb')]), []);
    assert.match(await cliFailure(member, ['amphora', 'list']), /Policy does not allow|403/);
    assert.match(await cliFailure(member, ['failover', need('lb')]), /Policy does not allow|403/);
    await cli(admin, ['failover', need('lb')]);
    await lbActive();
  });

  test('teardown: every object deleted through the CLI', async () => {
    if (ids.l7rule) {
      await cli(member, ['l7rule', 'delete', ids.l7policy, ids.l7rule]);
      await lbActive();
    }
    if (ids.l7policy) {
      await cli(member, ['l7policy', 'delete', ids.l7policy]);
      await lbActive();
    }
    await cli(member, ['healthmonitor', 'delete', need('hm')]);
    await lbActive();
    await cli(member, ['member', 'delete', need('pool'), need('member')]);
    await lbActive();
    await cli(member, ['pool', 'delete', need('pool')]);
    await lbActive();
    await cli(member, ['listener', 'delete', need('listener')]);
    await lbActive();
    await cli(member, ['delete', need('lb')]);
    const deadline = Date.now() + WAIT_MS;
    while ((await cliJson(member, ['list'])).length > 0) {
      assert.ok(Date.now() < deadline, 'load balancer not deleted');
      await sleep(200);
    }
    if (ids.flavor) await cli(admin, ['flavor', 'delete', ids.flavor]);
    if (ids.flavorprofile) await cli(admin, ['flavorprofile', 'delete', ids.flavorprofile]);
    if (ids.az) await cli(admin, ['availabilityzone', 'delete', ids.az]);
    if (ids.azprofile) await cli(admin, ['availabilityzoneprofile', 'delete', ids.azprofile]);
    if (ids.flavor) assert.deepEqual(await cliJson(admin, ['flavor', 'list']), []);
  });
});
