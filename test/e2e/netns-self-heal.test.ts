// Self-healing on the netns compute driver (root): the agent restarts a HAProxy killed inside
// its amphora's namespace (through `ip netns exec`, the root-only path), and the controller's
// watchdog restarts a killed agent, which brings the amphora's HAProxy back in its namespace.
// Traffic from the host through the VIP comes back each time; nothing but the new processes
// runs in the namespace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpGet } from '../helpers/netns.ts';
import { ip } from '../../src/compute/netns/ip-command.ts';
import { parentOf, pidRunning } from '../../src/agent/process-table.ts';
import { startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';

async function until<T>(what: string, timeoutMs: number, probe: () => T | false | null | Promise<T | false | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Live processes in a namespace. */
async function pidsIn(netns: string): Promise<number[]> {
  const out = (await ip(['netns', 'pids', netns])).stdout;
  return out.split(/\s+/).filter(Boolean).map(Number).filter(pidRunning).sort((a, b) => a - b);
}

describe('self-healing on the netns compute driver', () => {
  let env: NetnsApp;
  let agentDir: string;
  let url: string;
  let netns: string;
  let amphoraDir: string;

  before(async () => {
    env = await startNetnsApp('e2e-netns-heal');
    const { app } = env;
    agentDir = join(env.dataDir, 'agent');
    const member = await env.members.add('m1', `${env.net}.101`, 8080);
    const created = await app.request('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'e2e-netns-heal',
        vip_subnet_id: env.subnetId,
        listeners: [
          {
            protocol: 'HTTP',
            protocol_port: 80,
            default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: member.address, protocol_port: member.port, subnet_id: env.subnetId }] },
          },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const lbId = created.body.loadbalancer.id;
    const lb = await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['ACTIVE', 'ERROR'], 60_000);
    assert.equal(lb.provisioning_status, 'ACTIVE');
    url = `http://${created.body.loadbalancer.vip_address}/`;
    const [amphora] = await app.rt.database.db.selectFrom('amphora').selectAll().where('load_balancer_id', '=', lbId).execute();
    netns = amphora.netns!;
    amphoraDir = join(agentDir, 'run', amphora.id);
  });

  after(async () => {
    await env?.close();
  });

  const serves = () => until(`${url} to serve`, 60_000, async () => (await httpGet(url, 1000).catch(() => null))?.body === 'm1');
  const master = () => Number(readFileSync(join(amphoraDir, 'haproxy.pid'), 'utf8'));
  const agentPid = () => Number(readFileSync(join(agentDir, 'agent.pid'), 'utf8'));

  /** The namespace holds the current master and its workers, nothing else. */
  async function onlyCurrentHaproxy(): Promise<number[]> {
    return until('only the current HAProxy in the namespace', 10_000, async () => {
      const pids = await pidsIn(netns);
      const m = master();
      return pids.length >= 2 && pids.includes(m) && pids.every((p) => p === m || parentOf(p) === m) && pids;
    });
  }

  test('HAProxy killed inside the namespace: the agent starts it again there', async () => {
    await serves();
    const before = await onlyCurrentHaproxy();
    for (const pid of before) process.kill(pid, 'SIGKILL');
    await serves();
    const after = await onlyCurrentHaproxy();
    assert.ok(after.every((pid) => !before.includes(pid)), 'new processes only');
    assert.equal(parentOf(master()), agentPid(), 'the running agent started it');
  });

  test('agent and HAProxy killed: the controller starts the agent, which brings the amphora back in its namespace', async () => {
    const agent = agentPid();
    const before = await pidsIn(netns);
    for (const pid of [agent, ...before]) process.kill(pid, 'SIGKILL');
    await until('the namespace to be empty', 10_000, async () => (await pidsIn(netns)).length === 0);
    await serves();
    assert.notEqual(agentPid(), agent, 'a new agent');
    assert.ok(pidRunning(agentPid()));
    await onlyCurrentHaproxy();
    assert.equal(parentOf(master()), agentPid());
  });
});
