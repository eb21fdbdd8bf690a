// The member-server helper that end-to-end tests build on (root): backends in their own
// namespaces on a bridge, answering with their name, stoppable for health-monitor tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cleanupPrefix } from '../../src/compute/netns/netns-driver.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { MemberNet, freeTestSubnet, httpGet, testPrefix, type Member } from '../helpers/netns.ts';

describe('member servers in namespaces', () => {
  const prefix = testPrefix();
  let members: MemberNet;
  let m1: Member;
  let m2: Member;

  before(async () => {
    const subnet = await freeTestSubnet();
    members = new MemberNet({ prefix, bridge: `${prefix}-br0`, prefixLength: 24, bridgeAddress: `${subnet}.1/24` });
    m1 = await members.add('m1', `${subnet}.101`);
    m2 = await members.add('m2', `${subnet}.102`, 8080);
  });

  after(async () => {
    await members?.close();
    await cleanupPrefix(prefix);
  });

  test('each answers with its own name, to the host and to another namespace on the bridge', async () => {
    assert.equal((await httpGet(m1.url)).body, 'm1');
    assert.equal((await httpGet(m2.url)).body, 'm2');
    // The path an amphora's HAProxy takes: namespace to namespace over the bridge.
    const script = 'fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))';
    const fromM1 = await ip(['netns', 'exec', m1.netns, process.execPath, '-e', script, m2.url], { timeoutMs: 10_000 });
    assert.equal(fromM1.stdout, 'm2');
  });

  test('stop() makes a member refuse connections and start() brings it back', async () => {
    await m1.stop();
    assert.equal(m1.running, false);
    await assert.rejects(httpGet(m1.url), { code: 'ECONNREFUSED' });
    assert.equal((await httpGet(m2.url)).body, 'm2');
    await m1.start();
    assert.equal(m1.running, true);
    assert.equal((await httpGet(m1.url)).body, 'm1');
  });

  test('close() stops the servers and removes the member namespaces', async () => {
    await members.close();
    for (const m of [m1, m2]) {
      assert.equal(existsSync(`/run/netns/${m.netns}`), false);
      await assert.rejects(httpGet(m.url, 500));
    }
  });
});
