// ACTIVE_STANDBY on the netns compute driver (root), with real keepalived and HAProxy in
// namespaces this test makes: the load balancer gets a MASTER and a BACKUP amphora (VRRP
// addresses, priorities and roles in the operator amphora API), the MASTER holds the VIP and
// serves; the MASTER's processes are killed under a request loop and the BACKUP serves the VIP;
// an amphora failover (the job the health manager also queues) replaces the dead amphora as
// BACKUP on its VRRP address, the survivor becomes MASTER, and the rebuilt pair survives losing
// its new MASTER too; a load balancer failover replaces both. Then a failover drill reports the outage and failed requests its prober
// saw. Nothing is left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApp } from '../helpers/app.ts';
import { httpGet } from '../helpers/netns.ts';
import { killNamespaceProcesses } from '../../src/compute/netns/namespace.ts';
import { addresses, createHttpLb, namespaces, startNetnsApp, type NetnsApp } from '../helpers/netns-app.ts';

const MAX_REQUESTS = 20_000;
const MAX_LOAD_MS = 60_000;

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A bounded loop of GETs on new connections; `stop()` ends it and says what it saw. */
function requestLoop(url: string) {
  const result = { ok: 0, failed: 0, okAfter: (t: number) => oks.filter((d) => d > t).length };
  const oks: number[] = [];
  let stopping = false;
  const deadline = Date.now() + MAX_LOAD_MS;
  const done = (async () => {
    for (let i = 0; i < MAX_REQUESTS && !stopping && Date.now() < deadline; i++) {
      try {
        const res = await httpGet(url, 500);
        if (res.status === 200) {
          result.ok++;
          oks.push(Date.now());
        } else result.failed++;
      } catch {
        result.failed++;
      }
    }
  })();
  return {
    result,
    async stop() {
      stopping = true;
      await done;
      return result;
    },
  };
}

interface ApiAmphora {
  id: string;
  role: string;
  status: string;
  vrrp_ip: string | null;
  vrrp_priority: number | null;
  vrrp_id: number | null;
  ha_ip: string | null;
}

describe('ACTIVE_STANDBY on the netns compute driver', () => {
  let env: NetnsApp;
  let app: TestApp;
  let lbId: string;
  let vip: string;

  const settle = () => env.settle(lbId, 60_000);
  const amphorae = async (): Promise<ApiAmphora[]> => {
    const res = await app.request('GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`);
    assert.equal(res.status, 200);
    return res.body.amphorae;
  };
  const netnsOf = async (id: string) =>
    (await app.rt.database.db.selectFrom('amphora').select('netns').where('id', '=', id).executeTakeFirstOrThrow()).netns!;

  before(async () => {
    env = await startNetnsApp('e2e-netns-as', { config: { defaultTopology: 'ACTIVE_STANDBY' } });
    app = env.app;
    await env.members.add('m1', `${env.net}.201`, 8080);
  });

  after(async () => {
    await env?.close();
  });

  test('a MASTER/BACKUP pair serves the VIP, survives its MASTER dying and is rebuilt whole', async () => {
    const net = env.net;
    ({ lbId, vip } = await createHttpLb(env, { address: `${net}.201`, port: 8080 }, {}, 60_000));

    const pair = await amphorae();
    assert.equal(pair.length, 2);
    assert.deepEqual(pair.map((a) => a.role).sort(), ['BACKUP', 'MASTER']);
    assert.deepEqual(pair.map((a) => a.status), ['ALLOCATED', 'ALLOCATED']);
    const master = pair.find((a) => a.role === 'MASTER')!;
    const backup = pair.find((a) => a.role === 'BACKUP')!;
    assert.deepEqual([master.vrrp_priority, backup.vrrp_priority], [100, 90]);
    assert.ok(master.vrrp_ip?.startsWith(`${net}.`) && backup.vrrp_ip?.startsWith(`${net}.`), 'VRRP addresses on the VIP subnet');
    assert.notEqual(master.vrrp_ip, backup.vrrp_ip);
    assert.notEqual(master.vrrp_ip, vip);
    assert.equal(master.vrrp_id, backup.vrrp_id);
    assert.equal(master.ha_ip, vip);
    const masterNs = await netnsOf(master.id);
    const backupNs = await netnsOf(backup.id);
    assert.ok((await addresses(masterNs)).includes(vip), 'the MASTER holds the VIP');
    assert.ok(!(await addresses(backupNs)).includes(vip), 'the BACKUP does not');
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
    // keepalived runs the notify script the agent wrote: each amphora records its VRRP state.
    for (const a of [master, backup]) {
      const { run_dir: runDir } = await app.rt.database.db.selectFrom('amphora').select('run_dir').where('id', '=', a.id).executeTakeFirstOrThrow();
      await until(`${a.role} recorded as its VRRP state`, 10_000, async () => readFileSync(join(runDir!, 'vrrp.state'), 'utf8').trim() === a.role);
    }

    // The MASTER's haproxy and keepalived die (its namespace and agent stay).
    const load = requestLoop(`http://${vip}/`);
    await until('requests served before the kill', 10_000, async () => load.result.ok >= 20);
    const killedAt = Date.now();
    await killNamespaceProcesses(masterNs);
    const killDone = Date.now();
    await until('the BACKUP to take the VIP', 10_000, async () => (await addresses(backupNs)).includes(vip));
    // The agent takes the VIP off the dead MASTER's interface: its kernel would answer for it.
    await until('the dead MASTER to lose the VIP', 10_000, async () => !(await addresses(masterNs)).includes(vip));
    await until('requests served after the kill', 10_000, async () => load.result.okAfter(killedAt + 50) >= 20);
    const afterKill = await load.stop();
    assert.ok(afterKill.ok > 40, `${afterKill.ok} served`);
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' }, 'served by the BACKUP');
    // The access log holds both amphorae's lines, merged by time: the MASTER's before the kill,
    // the BACKUP's after (docs/access-logs.md §4).
    const logsPath = `/v2/fulcrum/loadbalancers/${lbId}/logs?since=${new Date(killedAt - 1000).toISOString()}&limit=1000`;
    await until('access-log lines from both amphorae', 15_000, async () => {
      const ids = new Set((await app.request('GET', logsPath)).body.logs.map((l: { amphora_id: string }) => l.amphora_id));
      return ids.has(master.id) && ids.has(backup.id);
    });
    const merged: { time: string; amphora_id: string }[] = (await app.request('GET', logsPath)).body.logs;
    assert.deepEqual(merged.map((l) => l.time), merged.map((l) => l.time).sort(), 'one log, in time order');
    assert.ok(merged.filter((l) => l.amphora_id === master.id).every((l) => Date.parse(l.time) <= killDone), "the MASTER's lines are from before the kill");

    // The pair is rebuilt by the amphora failover job (queued here through the operator API;
    // the health manager queues the same job for an amphora it finds dead).
    const rebuild = requestLoop(`http://${vip}/`);
    const fo = await app.request('PUT', `/v2/octavia/amphorae/${master.id}/failover`);
    assert.equal(fo.status, 202, JSON.stringify(fo.body));
    await settle();
    const during = await rebuild.stop();
    assert.ok(during.ok > 0);
    assert.equal(during.failed, 0, 'the rebuild does not touch the serving amphora');

    const rebuilt = await amphorae();
    assert.equal(rebuilt.length, 2, JSON.stringify(rebuilt));
    assert.deepEqual(rebuilt.map((a) => a.status), ['ALLOCATED', 'ALLOCATED']);
    const newMaster = rebuilt.find((a) => a.role === 'MASTER')!;
    const newBackup = rebuilt.find((a) => a.role === 'BACKUP')!;
    assert.equal(newMaster?.id, backup.id, 'the survivor is the MASTER');
    assert.ok(newBackup && newBackup.id !== master.id, 'a new amphora is the BACKUP');
    assert.equal(newBackup.vrrp_ip, master.vrrp_ip, 'on the VRRP address of the one it replaced');
    assert.equal(newMaster.vrrp_priority, backup.vrrp_priority, 'the survivor keeps its keepalived configuration');
    assert.ok(newBackup.vrrp_priority! < newMaster.vrrp_priority!, 'the replacement joins below it');
    assert.ok(!(await namespaces()).includes(masterNs), 'the dead amphora is gone');
    const newBackupNs = await netnsOf(newBackup.id);
    assert.ok((await addresses(backupNs)).includes(vip), 'the survivor still holds the VIP');
    assert.ok(!(await addresses(newBackupNs)).includes(vip));

    // The rebuilt pair is whole: losing the new MASTER moves the VIP to the new BACKUP.
    const second = requestLoop(`http://${vip}/`);
    await until('requests served before the second kill', 10_000, async () => second.result.ok >= 20);
    const secondKill = Date.now();
    await killNamespaceProcesses(backupNs);
    await until('the new BACKUP to take the VIP', 10_000, async () => (await addresses(newBackupNs)).includes(vip));
    await until('requests served after the second kill', 10_000, async () => second.result.okAfter(secondKill + 50) >= 20);
    await second.stop();
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' }, 'served by the replacement');

    // Whole again for the drill below.
    assert.equal((await app.request('PUT', `/v2/octavia/amphorae/${backup.id}/failover`)).status, 202);
    await settle();
    const whole = await amphorae();
    assert.equal(whole.length, 2);

    // A load balancer failover replaces both, one at a time, and the VIP answers after.
    const lbFailover = requestLoop(`http://${vip}/`);
    assert.equal((await app.request('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`)).status, 202);
    await settle();
    const duringLbFailover = await lbFailover.stop();
    assert.ok(duringLbFailover.ok > 0);
    const replaced = await amphorae();
    assert.equal(replaced.length, 2, JSON.stringify(replaced));
    assert.deepEqual(replaced.map((a) => a.status), ['ALLOCATED', 'ALLOCATED']);
    assert.deepEqual(replaced.map((a) => a.role).sort(), ['BACKUP', 'MASTER']);
    assert.ok(replaced.every((a) => !whole.some((w) => w.id === a.id)), 'both are new');
    assert.deepEqual(replaced.map((a) => a.vrrp_ip).sort(), whole.map((a) => a.vrrp_ip).sort(), 'on the same VRRP addresses');
    const newMasterNs = await netnsOf(replaced.find((a) => a.role === 'MASTER')!.id);
    assert.ok((await addresses(newMasterNs)).includes(vip), 'the MASTER holds the VIP');
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
  });

  test('a failover drill kills the amphora holding the VIP and reports the outage and failed requests', async (t) => {
    const pair = await amphorae();
    assert.equal(pair.length, 2);
    const holder = await (async () => {
      for (const a of pair) if ((await addresses(await netnsOf(a.id))).includes(vip)) return a;
      return null;
    })();
    assert.ok(holder, 'one amphora holds the VIP');
    const other = pair.find((a) => a.id !== holder.id)!;

    const started = await app.request('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal((await app.request('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`)).status, 409, 'one drill at a time');
    const path = `/v2/fulcrum/loadbalancers/${lbId}/drills/${started.body.drill.id}`;
    let drill = started.body.drill;
    const deadline = Date.now() + 60_000;
    while (!['COMPLETE', 'ERROR'].includes(drill.status) && Date.now() < deadline) {
      await sleep(100);
      drill = (await app.request('GET', path)).body.drill;
    }
    assert.equal(drill.status, 'COMPLETE', JSON.stringify(drill));
    t.diagnostic(`drill: outage ${drill.outage_ms} ms, ${drill.failed_requests} of ${drill.probes} probes failed`);
    assert.equal(drill.amphora_id, holder.id, 'the drill killed the amphora serving the VIP');
    assert.deepEqual(drill.probe, { address: vip, protocol_port: 80, protocol: 'HTTP' });
    assert.equal(drill.recovered, true);
    // The kill was real: requests failed until the other amphora took the VIP.
    assert.ok(Number.isInteger(drill.failed_requests) && drill.failed_requests > 0, JSON.stringify(drill));
    assert.ok(typeof drill.outage_ms === 'number' && drill.outage_ms > 0, JSON.stringify(drill));
    assert.ok(drill.probes > drill.failed_requests);
    assert.ok((await addresses(await netnsOf(other.id))).includes(vip), 'the other amphora holds the VIP');
    assert.ok(!(await addresses(await netnsOf(holder.id))).includes(vip), 'the killed one no longer does');
    assert.deepEqual(await httpGet(`http://${vip}/`), { status: 200, body: 'm1' });
    assert.equal((await app.request('GET', `/v2/fulcrum/loadbalancers/${lbId}/drills/999999999`)).status, 404);

    const namespacesBefore = await Promise.all(pair.map((a) => netnsOf(a.id)));
    assert.equal((await app.request('DELETE', `/v2/lbaas/loadbalancers/${lbId}?cascade=true`)).status, 204);
    await app.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, 'loadbalancer', ['DELETED'], 30_000);
    const left = await namespaces();
    assert.deepEqual(namespacesBefore.filter((n) => left.includes(n)), [], 'delete removes both namespaces');
    const held = await app.rt.database.db.selectFrom('ip_allocation').select('address').where('owner_id', '=', lbId).execute();
    assert.deepEqual(held, [], 'the VIP and VRRP addresses are released');
  });
});
