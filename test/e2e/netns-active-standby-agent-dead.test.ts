// ACTIVE_STANDBY on the netns compute driver (root) when the agent is dead: nobody writes the
// track file any more, so when the MASTER's HAProxy dies next only keepalived's own check
// (src/agent/haproxy-alive.sh) can tell keepalived. It must put the MASTER in FAULT, and the
// BACKUP must take the VIP and serve it. Nothing else may move the VIP here: no health manager
// runs in this test and the controller's agent watchdog is off, so the agent stays dead and no
// failover is queued; without the check the VIP stays on the dead MASTER.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidRunning } from '../../src/agent/process-table.ts';
import { drillOutcome, type ProbeSample } from '../../src/providers/amphora/drill-outcome.ts';
import { httpGet } from '../helpers/netns.ts';
import { addresses, startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';

const MAX_REQUESTS = 5_000;
const MAX_LOAD_MS = 60_000;
const PACE_MS = 10;

async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(check).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A bounded loop of GETs on new connections, one every PACE_MS, each recorded. */
function requestLoop(url: string) {
  const samples: ProbeSample[] = [];
  let stopping = false;
  const deadline = Date.now() + MAX_LOAD_MS;
  const done = (async () => {
    for (let i = 0; i < MAX_REQUESTS && !stopping && Date.now() < deadline; i++) {
      const sentMs = Date.now();
      const res = await httpGet(url, 250).catch(() => null);
      samples.push({ sentMs, doneMs: Date.now(), ok: res?.status === 200 });
      await sleep(PACE_MS);
    }
  })();
  return {
    samples,
    /** Answers to requests sent after `t`. */
    okSentAfter: (t: number) => samples.filter((s) => s.ok && s.sentMs > t).length,
    async stop() {
      stopping = true;
      await done;
    },
  };
}

let env: NetnsApp;

before(async () => {
  // health: off (the default of startNetnsApp); localAgentWatchMs 0: no watchdog restarts the agent.
  env = await startNetnsApp('e2e-as-dead', { config: { defaultTopology: 'ACTIVE_STANDBY', localAgentWatchMs: 0 } });
  await env.members.add('m1', `${env.net}.201`, 8080);
});

after(async () => {
  await env?.close();
});

test("agent dead, then the MASTER's HAProxy killed: keepalived's own check moves the VIP to the BACKUP, which serves", async (t) => {
  const { app } = env;
  // One call, one flow: the load balancer with its listener, pool and member.
  const created = await app.request('POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      vip_subnet_id: env.subnetId,
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: `${env.net}.201`, protocol_port: 8080, subnet_id: env.subnetId }] },
        },
      ],
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { id: lbId, vip_address: vip } = created.body.loadbalancer;
  await env.settle(lbId, 60_000);
  const rows = await app.rt.database.db.selectFrom('amphora').select(['id', 'role', 'netns', 'run_dir']).where('load_balancer_id', '=', lbId).execute();
  assert.equal(rows.length, 2);
  const master = rows.find((a) => a.role === 'MASTER')!;
  const backup = rows.find((a) => a.role === 'BACKUP')!;
  const vrrpState = (a: typeof master) => readFileSync(join(a.run_dir!, 'vrrp.state'), 'utf8').trim();
  await until('the pair to settle', 10_000, () => vrrpState(master) === 'MASTER' && vrrpState(backup) === 'BACKUP');
  assert.ok((await addresses(master.netns!)).includes(vip), 'the MASTER holds the VIP');

  const load = requestLoop(`http://${vip}/`);
  try {
    await until('requests served before the kills', 10_000, () => load.okSentAfter(0) >= 20);
    const agentPid = Number(readFileSync(join(env.dataDir, 'agent', 'agent.pid'), 'utf8'));
    process.kill(agentPid, 'SIGKILL');
    await until('the agent to die', 5_000, () => !pidRunning(agentPid));
    const haproxy = Number(readFileSync(join(master.run_dir!, 'haproxy.pid'), 'utf8'));
    const killedAt = Date.now();
    // The master and its workers: HAProxy's process group.
    process.kill(-haproxy, 'SIGKILL');
    await until('the BACKUP to take the VIP', 10_000, async () => (await addresses(backup.netns!)).includes(vip));
    await until('the BACKUP to serve the VIP', 10_000, () => load.okSentAfter(killedAt) >= 20);
    // keepalived's notify script records the transition that gave the VIP up.
    await until('the MASTER recorded as FAULT', 5_000, () => vrrpState(master) === 'FAULT');
    const seen = drillOutcome(load.samples, killedAt);
    t.diagnostic(`HAProxy killed → served again: ${seen.recoveredAfterMs} ms, ${seen.failedRequests} requests failed`);
    assert.ok(seen.failedRequests > 0, 'the kill was real: requests failed until the BACKUP took over');
    assert.ok(!(await addresses(master.netns!)).includes(vip), 'the FAULT MASTER gave the VIP up');
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
    // Nobody else acted: the agent is still dead, HAProxy was not restarted, the pair is the same.
    assert.ok(!pidRunning(agentPid), 'the agent stays dead');
    assert.equal(Number(readFileSync(join(env.dataDir, 'agent', 'agent.pid'), 'utf8')), agentPid, 'no agent was started again');
    assert.ok(!pidRunning(Number(readFileSync(join(master.run_dir!, 'haproxy.pid'), 'utf8'))), "the MASTER's HAProxy is still dead");
    const now = await app.rt.database.db.selectFrom('amphora').select('id').where('load_balancer_id', '=', lbId).where('status', '!=', 'DELETED').execute();
    assert.deepEqual(now.map((a) => a.id).sort(), [master.id, backup.id].sort(), 'no failover replaced an amphora');
  } finally {
    await load.stop();
  }
});
