// The netns compute driver on real namespaces (root): amphorae on one bridge serve their VIPs to
// the host, creation is idempotent and announced, deletion and cleanupPrefix leave nothing behind.
import { AMPHORA_SYN_BACKLOG } from '../../src/compute/netns/namespace.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import type { AmphoraPlacement, AmphoraSpec } from '../../src/compute/compute-driver.ts';
import { NetnsComputeDriver, cleanupPrefix } from '../../src/compute/netns/netns-driver.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { MemberNet, freeTestSubnet, httpGet, startHttpServer, testPrefix, type HttpServer } from '../helpers/netns.ts';

const AGENT_URL = 'https://127.0.0.1:9443';

function spec(amphoraId: string, vipAddress: string, vipPrefixLength: number, extra: Partial<AmphoraSpec> = {}): AmphoraSpec {
  return { amphoraId, loadBalancerId: randomUUID(), vipAddress, vipPrefixLength, plugVip: true, vrrpAddress: null, ...extra };
}

function sysfs(link: string, file: string): string {
  return readFileSync(`/sys/class/net/${link}/${file}`, 'utf8').trim();
}

async function json(args: string[]): Promise<any[]> {
  return JSON.parse((await ip(['-j', ...args])).stdout);
}

async function linksIn(netns: string): Promise<string[]> {
  return (await json(['-n', netns, 'link', 'show'])).map((l) => l.ifname).sort();
}

async function addressesOf(netns: string): Promise<string[]> {
  const [eth0] = await json(['-n', netns, 'addr', 'show', 'dev', 'eth0']);
  return eth0.addr_info.filter((a: any) => a.scope === 'global').map((a: any) => `${a.local}/${a.prefixlen}`);
}

async function macOf(netns: string): Promise<string> {
  return (await json(['-n', netns, 'link', 'show', 'dev', 'eth0']))[0].address;
}

async function hostNeighbour(bridge: string, address: string): Promise<string | undefined> {
  return (await json(['neigh', 'show', address, 'dev', bridge]))[0]?.lladdr;
}

async function sysctlIn(netns: string, key: string): Promise<string> {
  return (await ip(['netns', 'exec', netns, 'sysctl', '-n', key])).stdout.trim();
}

async function hostLinksWith(prefix: string): Promise<string[]> {
  return (await json(['link', 'show'])).map((l) => l.ifname).filter((n: string) => n.startsWith(prefix)).sort();
}

function namespacesWith(prefix: string): Promise<string[]> {
  return ip(['netns', 'list']).then((r) => r.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix)));
}

describe('netns compute driver', () => {
  const prefix = testPrefix();
  const bridge = `${prefix}-br0`;
  const servers: HttpServer[] = [];
  let subnet: string;
  let driver: NetnsComputeDriver;
  const idA = randomUUID();
  const idB = randomUUID();
  const idC = randomUUID();
  let a: AmphoraPlacement;
  let b: AmphoraPlacement;
  let c: AmphoraPlacement;
  let cServer: HttpServer;
  let bridgeMac: string;

  async function serve(netns: string, address: string, body: string): Promise<HttpServer> {
    const server = await startHttpServer(netns, address, 80, body);
    servers.push(server);
    return server;
  }

  before(async () => {
    subnet = await freeTestSubnet();
    driver = new NetnsComputeDriver({ agentUrl: AGENT_URL, prefix, bridgeAddress: `${subnet}.1/24` });
  });

  after(async () => {
    for (const s of servers) await s.stop();
    await driver?.close();
    await cleanupPrefix(prefix);
  });

  test('two amphorae on one bridge serve their VIPs to the host', async () => {
    a = await driver.createAmphora(spec(idA, `${subnet}.10`, 24));
    // A /32 VIP has no connected route back to the host: the answer needs the default route.
    b = await driver.createAmphora(spec(idB, `${subnet}.20`, 32));
    assert.deepEqual(a, { computeId: `${prefix}-${idA.slice(0, 8)}`, agentUrl: AGENT_URL, netns: `${prefix}-${idA.slice(0, 8)}`, vipInterface: 'eth0', lbNetworkIp: `${subnet}.10` });
    assert.equal(b.netns, `${prefix}-${idB.slice(0, 8)}`);
    bridgeMac = sysfs(bridge, 'address');
    for (const [id, placement] of [[idA, a], [idB, b]] as const) {
      assert.deepEqual(await linksIn(placement.netns!), ['eth0', 'lo']);
      const veth = `${prefix}v${id.slice(0, 8)}`;
      assert.equal(basename(readlinkSync(`/sys/class/net/${veth}/master`)), bridge);
      // A bridge left to itself takes its lowest port MAC, and changes it as ports come and go.
      assert.notEqual(sysfs(veth, 'address'), bridgeMac);
    }
    assert.deepEqual(await addressesOf(a.netns!), [`${subnet}.10/24`]);

    await serve(a.netns!, `${subnet}.10`, 'A');
    await serve(b.netns!, `${subnet}.20`, 'B');
    assert.equal((await httpGet(`http://${subnet}.10/`)).body, 'A');
    assert.equal((await httpGet(`http://${subnet}.20/`)).body, 'B');
  });

  test('an ACTIVE_STANDBY amphora holds only its VRRP address and can bind the VIP keepalived will add', async () => {
    c = await driver.createAmphora(spec(idC, `${subnet}.30`, 24, { plugVip: false, vrrpAddress: `${subnet}.31` }));
    assert.equal(c.lbNetworkIp, `${subnet}.31`);
    assert.deepEqual(await addressesOf(c.netns!), [`${subnet}.31/24`]);
    for (const family of ['ipv4', 'ipv6']) assert.equal(await sysctlIn(c.netns!, `net.${family}.ip_nonlocal_bind`), '1');
    // SYN-flood defences of the amphora's own network stack.
    assert.equal(await sysctlIn(c.netns!, 'net.ipv4.tcp_syncookies'), '1');
    assert.equal(await sysctlIn(c.netns!, 'net.ipv4.tcp_max_syn_backlog'), String(AMPHORA_SYN_BACKLOG));
    assert.equal(await sysctlIn(c.netns!, 'net.core.somaxconn'), String(AMPHORA_SYN_BACKLOG));
    // Without ip_nonlocal_bind this fails with EADDRNOTAVAIL, as HAProxy on a standby would.
    cServer = await serve(c.netns!, `${subnet}.30`, 'C');
  });

  test('creating again returns the same placement and duplicates nothing', async () => {
    const hostLinks = await hostLinksWith(prefix);
    assert.deepEqual(await driver.createAmphora(spec(idA, `${subnet}.10`, 24)), a);
    assert.deepEqual(await hostLinksWith(prefix), hostLinks);
    assert.deepEqual(await linksIn(a.netns!), ['eth0', 'lo']);
    assert.deepEqual(await addressesOf(a.netns!), [`${subnet}.10/24`]);
    assert.equal((await httpGet(`http://${subnet}.10/`)).body, 'A', 'the namespace and its server were left alone');

    const sameNames = `${idA.slice(0, 8)}-ffff-4fff-8fff-ffffffffffff`;
    await assert.rejects(driver.createAmphora(spec(sameNames, `${subnet}.11`, 24)), /collide/);
  });

  test('a rebuilt amphora announces its new MAC, so the host reaches it at once', async () => {
    const oldMac = await macOf(b.netns!);
    assert.equal(await hostNeighbour(bridge, `${subnet}.20`), oldMac, 'the host has talked to the old amphora');
    await driver.deleteAmphora(idB, b.computeId);
    const rebuilt = await driver.createAmphora(spec(randomUUID(), `${subnet}.20`, 32));
    const newMac = await macOf(rebuilt.netns!);
    assert.notEqual(newMac, oldMac);
    assert.equal(await hostNeighbour(bridge, `${subnet}.20`), newMac);
    await serve(rebuilt.netns!, `${subnet}.20`, 'B2');
    assert.equal((await httpGet(`http://${subnet}.20/`, 1000)).body, 'B2');
  });

  test('deleting kills what runs inside and removes the namespace and its veth; again is fine', async () => {
    await driver.deleteAmphora(idC, c.computeId);
    assert.deepEqual(await Promise.race([cServer.exited, setTimeout(2000, 'still running')]), { code: null, signal: 'SIGKILL' });
    assert.equal(existsSync(`/run/netns/${c.netns}`), false);
    assert.equal(existsSync(`/sys/class/net/${prefix}v${idC.slice(0, 8)}`), false);
    assert.ok(!(await namespacesWith(prefix)).includes(c.netns!));
    assert.equal(sysfs(bridge, 'address'), bridgeMac, 'the gateway MAC the namespaces know is still valid');

    await driver.deleteAmphora(idC, c.computeId);
    await driver.deleteAmphora(randomUUID(), `${prefix}-00000000`);
    await assert.rejects(driver.deleteAmphora(idC, 'some-other-namespace'), /not the name of a netns amphora/);
  });

  test('an IPv6 VIP is usable when creation returns, and one already on the bridge is refused', async () => {
    const v6 = new NetnsComputeDriver({ agentUrl: AGENT_URL, prefix, bridgeAddress: `fd13:213:${subnet.split('.')[2]}::1/64` });
    const vip = `fd13:213:${subnet.split('.')[2]}::10`;
    const amphora = await v6.createAmphora(spec(randomUUID(), vip, 64));
    const [eth0] = await json(['-n', amphora.netns!, '-6', 'addr', 'show', 'dev', 'eth0']);
    const info = eth0.addr_info.find((i: any) => i.local === vip);
    assert.equal(info.tentative, undefined, 'duplicate address detection is over: the kernel accepts traffic for it');
    await serve(amphora.netns!, vip, 'V6');
    assert.equal((await httpGet(`http://[${vip}]/`, 1000)).body, 'V6');

    const clashing = spec(randomUUID(), vip, 64);
    await assert.rejects(v6.createAmphora(clashing), /already in use/);
    assert.ok(!(await namespacesWith(prefix)).includes(`${prefix}-${clashing.amphoraId.slice(0, 8)}`), 'the failed amphora left nothing');
    await v6.close();
  });
});

describe('cleanupPrefix', () => {
  const prefix = testPrefix();
  after(() => cleanupPrefix(prefix));

  test('removes every namespace, veth and bridge with the prefix, and what runs inside', async () => {
    const subnet = await freeTestSubnet();
    const driver = new NetnsComputeDriver({ agentUrl: AGENT_URL, prefix });
    const amphora = await driver.createAmphora(spec(randomUUID(), `${subnet}.10`, 24));
    const members = new MemberNet({ prefix, bridge: `${prefix}-br0`, prefixLength: 24 });
    await members.add('m1', `${subnet}.101`);
    const server = await startHttpServer(amphora.netns!, `${subnet}.10`, 80, 'A');
    assert.equal((await namespacesWith(prefix)).length, 2);
    assert.equal((await hostLinksWith(prefix)).length, 3);

    await cleanupPrefix(prefix);
    assert.deepEqual(await namespacesWith(prefix), []);
    assert.deepEqual(await hostLinksWith(prefix), []);
    assert.deepEqual(await server.exited, { code: null, signal: 'SIGKILL' });
    await driver.close();
  });
});
