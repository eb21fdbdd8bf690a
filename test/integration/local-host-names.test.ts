// The controllers' own agents in the inventory (issue 8), on PostgreSQL: each controller
// registers its agent under its FULCRUM_HOST_NAME, so two controllers sharing a database are two
// hosts the scheduler places on; processes of one data dir and name share one row; an install
// from before, whose one row is named `local`, keeps that row (id and amphorae) under the new
// name; the agents of two machines may share a loopback address and port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresDatabase } from '../helpers/db.ts';
import { freePort, stopLocalDataPlane } from '../helpers/data-plane.ts';
import { loadConfig, type FulcrumConfig } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createApi, openRuntime, startWorker, type Runtime } from '../../src/runtime.ts';
import { registerLocalHost } from '../../src/inventory/host-store.ts';
import type { Api } from '../../src/api/app.ts';
import type { FlowWorker } from '../../src/flows/worker.ts';

describe('controllers register their own agents by host name, on PostgreSQL', () => {
  let drop: (() => Promise<void>) | null = null;
  let url = '';
  let db: Database;
  const databases: Database[] = [];
  const runtimes: Runtime[] = [];
  const dirs: string[] = [];
  let api: Api | null = null;
  let worker: FlowWorker | null = null;

  /** A controller process as `fulcrum worker` builds it: its own pool on the shared database. */
  async function controller(config: Partial<FulcrumConfig>): Promise<Runtime> {
    const database = await openDatabase(url, { poolSize: 2 });
    databases.push(database);
    const rt = await openRuntime(loadConfig({}, { secretKey: 'f'.repeat(64), localAgentWatchMs: 0, jobPollMs: 50, ...config }), {
      migrate: false,
      database,
      log: createLogger('silent'),
    });
    runtimes.push(rt);
    return rt;
  }
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrum-host-names-'));
    dirs.push(dir);
    return dir;
  };
  const localHosts = () => db.db.selectFrom('host').selectAll().where('kind', '=', 'local').orderBy('name').execute();

  before(async () => {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    url = pg.url;
    db = await openDatabase(url, { migrate: true, poolSize: 2 });
  });

  after(async () => {
    await worker?.stop().catch(() => {});
    await api?.close().catch(() => {});
    for (const rt of runtimes) await rt.closeDataPlane().catch(() => {});
    for (const dir of dirs) stopLocalDataPlane(dir);
    for (const d of [...databases, db]) await d?.close().catch(() => {});
    await drop?.();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('two controllers with their agents', () => {
    const ids: Record<string, string> = {};
    let dirA = '';

    test('two controllers with different names are two hosts, each at its own agent', async () => {
      dirA = tempDir();
      const [portA, portB] = [await freePort(), await freePort()];
      const a = await controller({ dataDir: dirA, hostName: 'ctl-a', localAgentPort: portA });
      const b = await controller({ dataDir: tempDir(), hostName: 'ctl-b', localAgentPort: portB });
      const [computeA, computeB] = await Promise.all([a.dataPlane.compute(), b.dataPlane.compute()]);
      const hosts = await localHosts();
      assert.deepEqual(
        hosts.map((h) => [h.name, h.address, h.port]),
        [
          ['ctl-a', '127.0.0.1', portA],
          ['ctl-b', '127.0.0.1', portB],
        ],
      );
      for (const h of hosts) ids[h.name] = h.id;
      // An amphora a controller places on its own agent is recorded on its own host.
      const spec = { amphoraId: randomUUID(), loadBalancerId: '', vipAddress: '', vipPrefixLength: 32, plugVip: false, vrrpAddress: null };
      assert.equal((await computeA.createAmphora(spec)).hostId, ids['ctl-a']);
      assert.equal((await computeB.createAmphora(spec)).hostId, ids['ctl-b']);
    });

    test('a second process of the same data dir and name adopts the agent and shares its row', async () => {
      const again = await controller({ dataDir: dirA, hostName: 'ctl-a', localAgentPort: null });
      const compute = await again.dataPlane.compute();
      assert.deepEqual(
        (await localHosts()).map((h) => [h.name, h.id]),
        [
          ['ctl-a', ids['ctl-a']],
          ['ctl-b', ids['ctl-b']],
        ],
      );
      const spec = { amphoraId: randomUUID(), loadBalancerId: '', vipAddress: '', vipPrefixLength: 32, plugVip: false, vrrpAddress: null };
      assert.equal((await compute.createAmphora(spec)).hostId, ids['ctl-a']);
    });

    test('the scheduler places load balancers on both controllers\' hosts', async () => {
      // Placement through the API and the flows; the noop compute driver records the scheduler's
      // choice without starting HAProxies.
      const rt = await controller({ dataDir: tempDir(), hostName: 'api-only', computeDriver: 'noop', defaultProvider: 'amphora', networkDriver: 'local' });
      api = await createApi(rt);
      await api.ready();
      worker = startWorker(rt);
      await worker.start();
      const call = async (path: string, body: unknown) => {
        const res = await api!.inject({ method: 'POST', url: path, headers: { 'x-project-id': 'host-names', 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        assert.equal(res.statusCode, 201, res.body);
        return JSON.parse(res.body);
      };
      const network = (await call('/v2/fulcrum/networks', { network: { name: 'host-names' } })).network;
      const subnet = (await call('/v2/fulcrum/subnets', { subnet: { network_id: network.id, cidr: '198.51.100.0/24' } })).subnet;
      const lbIds: string[] = [];
      for (let i = 0; i < 4; i++) lbIds.push((await call('/v2/lbaas/loadbalancers', { loadbalancer: { name: `lb-${i}`, vip_subnet_id: subnet.id } })).loadbalancer.id);
      const deadline = Date.now() + 30_000;
      for (;;) {
        const statuses = await db.db.selectFrom('load_balancer').select('provisioning_status').where('id', 'in', lbIds).execute();
        if (statuses.length === 4 && statuses.every((s) => s.provisioning_status === 'ACTIVE')) break;
        assert.ok(!statuses.some((s) => s.provisioning_status === 'ERROR'), JSON.stringify(statuses));
        assert.ok(Date.now() < deadline, `load balancers ACTIVE: ${JSON.stringify(statuses)}`);
        await sleep(100);
      }
      const placed = await db.db
        .selectFrom('amphora')
        .select(['host_id', (eb) => eb.fn.countAll<string>().as('n')])
        .where('load_balancer_id', 'in', lbIds)
        .where('status', '=', 'ALLOCATED')
        .groupBy('host_id')
        .execute();
      assert.deepEqual(Object.fromEntries(placed.map((p) => [p.host_id, Number(p.n)])), { [ids['ctl-a']]: 2, [ids['ctl-b']]: 2 });
    });
  });

  describe('registration', () => {
    const legacyRow = (port: number) => ({ id: randomUUID(), name: 'local', kind: 'local' as const, address: '127.0.0.1', port });

    test('an upgrade: the row `local` of this agent keeps its id and its amphorae under the machine\'s name', async () => {
      const legacy = legacyRow(20001);
      await db.db.insertInto('host').values(legacy).execute();
      const amphoraId = randomUUID();
      await db.db.insertInto('amphora').values({ id: amphoraId, load_balancer_id: null, status: 'READY', role: null, compute_driver: 'process', cached_zone: null, host_id: legacy.id }).execute();
      // Two processes of the upgraded data dir start at once.
      const [first, second] = await Promise.all([registerLocalHost(db.db, 'box-1', '127.0.0.1', 20001), registerLocalHost(db.db, 'box-1', '127.0.0.1', 20001)]);
      assert.equal(first.host.id, legacy.id);
      assert.equal(second.host.id, legacy.id);
      const rows = await db.db.selectFrom('host').select(['id', 'name']).where('name', 'in', ['local', 'box-1']).execute();
      assert.deepEqual(rows, [{ id: legacy.id, name: 'box-1' }]);
      const amphora = await db.db.selectFrom('amphora').select('host_id').where('id', '=', amphoraId).executeTakeFirstOrThrow();
      assert.equal(amphora.host_id, legacy.id);
    });

    test('a row `local` of another agent (another port) is left to its own machine', async () => {
      const legacy = legacyRow(20002);
      await db.db.insertInto('host').values(legacy).execute();
      const mine = await registerLocalHost(db.db, 'box-2', '127.0.0.1', 20003);
      assert.notEqual(mine.host.id, legacy.id);
      const theirs = await registerLocalHost(db.db, 'box-3', '127.0.0.1', 20002);
      assert.equal(theirs.host.id, legacy.id);
      assert.equal((await db.db.selectFrom('host').select('id').where('name', '=', 'local').execute()).length, 0);
    });

    test('the agents of two machines at the same loopback address and port are two hosts; a name whose agent moved follows it', async () => {
      const [m1, m2] = await Promise.all([registerLocalHost(db.db, 'machine-1', '127.0.0.1', 9443), registerLocalHost(db.db, 'machine-2', '127.0.0.1', 9443)]);
      assert.notEqual(m1.host.id, m2.host.id);
      assert.equal((await registerLocalHost(db.db, 'machine-1', '127.0.0.1', 9443)).movedFrom, null);
      // Another port under the same name: the row follows, and says where it was.
      const moved = await registerLocalHost(db.db, 'machine-1', '127.0.0.1', 9444);
      assert.deepEqual([moved.host.id, moved.host.port, moved.movedFrom], [m1.host.id, 9444, 'https://127.0.0.1:9443']);
    });

    test('a joined host\'s name is refused, and that host is left as it was', async () => {
      const joined = { id: randomUUID(), name: 'joined-1', kind: 'joined' as const, address: '192.0.2.10', port: 9443 };
      await db.db.insertInto('host').values(joined).execute();
      await assert.rejects(registerLocalHost(db.db, 'joined-1', '127.0.0.1', 20004), /FULCRUM_HOST_NAME "joined-1" is the name of joined host/);
      const row = await db.db.selectFrom('host').select(['kind', 'address', 'port']).where('id', '=', joined.id).executeTakeFirstOrThrow();
      assert.deepEqual(row, { kind: 'joined', address: '192.0.2.10', port: 9443 });
    });
  });
});
