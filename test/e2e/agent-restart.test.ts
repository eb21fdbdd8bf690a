// An agent that is restarting is a host event, not a reason to replace amphorae. A real
// `fulcrum serve` (process compute driver, real HAProxy, heartbeats and automatic failover on
// with their default interval and timeout) with two load balancers; the agent is killed and
// kept from coming back for longer than the heartbeat timeout (a plain TCP listener holds its
// port, so the watchdog's restarts fail until it is closed):
//   - the agent and every HAProxy killed: every amphora of the host goes silent at once; the
//     health manager waits for the host instead of failing them over, the watchdog's new agent
//     brings every load balancer back, and no failover job ever ran;
//   - an operator failover sent while the agent is away waits for the agent inside its step and
//     completes on its first attempt, instead of burning its attempts into ERROR.
// Each time: every load balancer ACTIVE and serving, one ALLOCATED amphora each, one agent, one
// HAProxy master per amphora, no orphan process or run directory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChaosInstall, type ChaosInstall } from '../helpers/chaos.ts';
import { httpGet } from '../helpers/netns.ts';

/** Longer than the default heartbeat timeout (3 s) and the detection after it. */
const AWAY_MS = 6000;
/** Polls of a quarter second each: the bound on waiting for the install to settle. */
const SETTLE_POLLS = 240;

/** Takes the agent's port as soon as the killed agent let go of it; refuses every TLS handshake. */
async function holdPort(port: number): Promise<Server> {
  for (let i = 0; i < 100; i++) {
    const server = createServer((socket) => socket.destroy());
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) return server;
    await sleep(10);
  }
  throw new Error(`port ${port} stayed taken: the agent came back before the test could hold it`);
}

describe('an agent kept away past the heartbeat timeout', () => {
  let install: ChaosInstall;
  let agentPort: number;

  before(async () => {
    install = await startChaosInstall('agent-restart', { topologies: ['SINGLE', 'SINGLE'] });
    await install.settle(SETTLE_POLLS);
    await install.heard(SETTLE_POLLS);
    agentPort = (JSON.parse(readFileSync(join(install.agentDir, 'agent.json'), 'utf8')) as { port: number }).port;
  });

  after(async () => {
    await install?.close();
  });

  const failoverJobs = async () => {
    const res = await install.call('GET', '/v2/fulcrum/jobs?limit=1000');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.jobs as { id: string; attempts: number; state: string; load_balancer_id: string; operation: { action?: string } }[]).filter(
      (j) => j.operation?.action === 'failover',
    );
  };

  /** Kills `kind`, keeps the agent's port for AWAY_MS, then lets the watchdog start the agent. */
  async function keepAway(kind: 'agent' | 'agent+haproxy', meanwhile: () => Promise<void> = async () => {}): Promise<void> {
    const what = await install.inflict(kind, install.lbs[0]);
    assert.doesNotMatch(what, /^nothing/, what);
    const holder = await holdPort(agentPort);
    try {
      await meanwhile();
      await sleep(AWAY_MS);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }

  /** What serve logged besides API requests: health manager, watchdog, flows. */
  const log = () => install.serve.output().split('\n').filter((l) => !l.includes('"role":"api"')).slice(-40).join('\n');

  test('agent and every HAProxy killed: the host is waited for, no amphora is failed over, every LB serves again', async () => {
    const before = (await install.amphorae()).map((a) => a.id).sort();
    await keepAway('agent+haproxy', async () => {
      for (const lb of install.lbs) await assert.rejects(httpGet(lb.url, 500), `${lb.url} is down with its HAProxy`);
    });
    await install.settle(SETTLE_POLLS).catch((err: Error) => assert.fail(`${err.message}\n${log()}`));
    assert.deepEqual(await failoverJobs(), [], `no failover: the agent was only restarting\n${log()}`);
    assert.deepEqual((await install.amphorae()).map((a) => a.id).sort(), before, 'the same amphorae serve');
    assert.match(install.serve.output(), /every amphora of a host went silent at once/, log());
    // The health manager notices the host at its next detection round after a heartbeat.
    for (let i = 0; i < 40 && !install.serve.output().includes('a silent host is heard again'); i++) await sleep(250);
    assert.match(install.serve.output(), /a silent host is heard again/, log());
    assert.deepEqual(await install.problems(), []);
  });

  test('an operator failover sent while the agent is away waits for it and succeeds on its first attempt', async () => {
    const [victim] = (await install.amphorae()).filter((a) => a.loadbalancer_id === install.lbs[0].id);
    await keepAway('agent', async () => {
      const res = await install.call('PUT', `/v2/octavia/amphorae/${victim.id}/failover`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
    });
    await install.settle(SETTLE_POLLS).catch((err: Error) => assert.fail(`${err.message}\n${log()}`));
    const jobs = await failoverJobs();
    assert.equal(jobs.length, 1, JSON.stringify(jobs));
    assert.deepEqual({ state: jobs[0].state, attempts: jobs[0].attempts }, { state: 'succeeded', attempts: 1 }, log());
    const live = await install.amphorae();
    assert.ok(!live.some((a) => a.id === victim.id), 'the failed-over amphora is gone');
    assert.deepEqual(await install.problems(), []);
  });
});
