// Production shape (issue 8): on a fresh PostgreSQL database, one `fulcrum api`, two `fulcrum
// worker` and two `fulcrum health-manager` processes, and three amphora hosts joined with
// `fulcrum host join` (process compute driver: each host its own agent, data dir and port on this
// machine, its HAProxies serving loopback VIPs). Load balancers created through the API become
// ACTIVE, serve and spread over the three hosts; a worker killed by its PID in the middle of a
// flow leaves nothing PENDING (the other worker resumes the flow); a host killed (its agent and
// its HAProxies) goes OFFLINE with one host.offline event, and its load balancers come back on
// the other hosts with no API call, each amphora failed over exactly once although two health
// managers watch it; with one health manager killed, a member going down still reaches the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createPostgresDatabase } from '../helpers/db.ts';
import { fetchText, freePort, killAmphoraDaemons, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { cleanEnv } from '../helpers/fulcrum-serve.ts';
import { openDatabase, type Database } from '../../src/db/database.ts';

const LISTENER_PORT = 8080;
// Long enough that a busy machine's slow answers are not taken for a dead host.
const HEARTBEAT_TIMEOUT_MS = 4000;
/** How long a process may take to start: tsx compiles the sources at each start, slow on a busy machine. */
const STARTUP_MS = 180_000;
const PENDING_TABLES = ['load_balancer', 'listener', 'pool', 'member', 'health_monitor', 'l7policy', 'l7rule'] as const;

interface JoinedHost {
  name: string;
  dir: string;
  id: string;
  proc: FulcrumProcess;
}

interface Lb {
  id: string;
  url: string;
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, pollMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A failed request is tried again; a failed assertion ends the wait.
    const v = await fn().catch((err: unknown) => {
      if (err instanceof assert.AssertionError) throw err;
      return null;
    });
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

describe('production shape: api, two workers, two health managers, three joined hosts on PostgreSQL', () => {
  const processes: FulcrumProcess[] = [];
  const dirs: string[] = [];
  const backends: Backend[] = [];
  const hosts: JoinedHost[] = [];
  const workers: { proc: FulcrumProcess; env: Record<string, string> }[] = [];
  const managers: FulcrumProcess[] = [];
  const lbs: Lb[] = [];
  let drop: (() => Promise<void>) | null = null;
  let database: Database | null = null;
  let api = '';
  let subnetId = '';
  let backend: Backend;
  /** The one member of the first load balancer, behind an HTTP health monitor. */
  let watched: { lbId: string; poolId: string; memberId: string; backend: Backend };

  const db = () => database!.db;
  const tempDir = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), `fulcrum-prodshape-${name}-`));
    dirs.push(dir);
    return dir;
  };
  const start = (args: string[], env: Record<string, string>) => {
    const p = startFulcrum(args, env);
    processes.push(p);
    return p;
  };

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(api + path, {
      method,
      headers: { 'x-project-id': 'prodshape', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function createLb(name: string, pool: Record<string, unknown> = {}, member = backend): Promise<Lb & { body: any }> {
    const res = await call('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name,
        vip_subnet_id: subnetId,
        listeners: [
          {
            protocol: 'HTTP',
            protocol_port: LISTENER_PORT,
            default_pool: { name, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: member.port }], ...pool },
          },
        ],
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const lb = { id: res.body.loadbalancer.id, url: `http://${res.body.loadbalancer.vip_address}:${LISTENER_PORT}/`, body: res.body.loadbalancer };
    lbs.push(lb);
    return lb;
  }

  const lbStatus = async (id: string) => (await db().selectFrom('load_balancer').select('provisioning_status').where('id', '=', id).executeTakeFirstOrThrow()).provisioning_status;
  const allActive = (ids: string[], timeoutMs = 90_000) =>
    until(
      `load balancers ${ids.join(', ')} ACTIVE`,
      async () => {
        const statuses = await Promise.all(ids.map(lbStatus));
        if (statuses.includes('ERROR')) assert.fail(`a load balancer went to ERROR: ${JSON.stringify((await call('GET', '/v2/fulcrum/jobs?state=failed')).body)}`);
        return statuses.every((s) => s === 'ACTIVE');
      },
      timeoutMs,
    );
  const serving = (lb: Lb) => until(`${lb.url} to serve`, async () => (await fetchText(lb.url)) === 'prodshape-be', 20_000);
  const placement = async (lbId: string) =>
    db().selectFrom('amphora').select(['id', 'host_id', 'status', 'created_at']).where('load_balancer_id', '=', lbId).orderBy('created_at').execute();
  const allocatedOn = async () => {
    const rows = await db().selectFrom('amphora').select(['host_id', (eb) => eb.fn.countAll<string>().as('n')]).where('status', '=', 'ALLOCATED').groupBy('host_id').execute();
    return new Map(rows.map((r) => [r.host_id, Number(r.n)]));
  };
  const pendingRows = async () => {
    const found: string[] = [];
    for (const table of PENDING_TABLES) {
      const rows = (await sql<{ id: string; provisioning_status: string }>`select id, provisioning_status from ${sql.table(table)} where provisioning_status like 'PENDING%'`.execute(db())).rows;
      found.push(...rows.map((r) => `${table} ${r.id} ${r.provisioning_status}`));
    }
    return found;
  };
  const dbNow = async () => (await sql<{ now: Date }>`select now() as now`.execute(db())).rows[0].now;

  before(async () => {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    database = await openDatabase(pg.url, { migrate: true, poolSize: 3 });
    const workerPorts = [await freePort(), await freePort()];
    // The controllers' own agents (one host per worker, named by FULCRUM_HOST_NAME, which a
    // worker registers when it first places an amphora) are kept out of these placements, as in
    // hosts.test.ts. An operator's PUT can only disable a row once it exists, after the first
    // placement; here they are written DISABLED before any worker starts, and the workers'
    // registrations keep that state.
    const workerHosts = workerPorts.map((port, i) => ({ name: `prodshape-worker-${i}`, port }));
    await db()
      .insertInto('host')
      .values(workerHosts.map((h) => ({ id: randomUUID(), name: h.name, kind: 'local', address: '127.0.0.1', port: h.port, admin_state: 'DISABLED', last_seen_at: sql<Date>`now()` })))
      .execute();
    const base = {
      FULCRUM_DATABASE_URL: pg.url,
      FULCRUM_SECRET_KEY: Buffer.alloc(32, 8).toString('base64'),
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_JOB_POLL_MS: '50',
      // A killed worker's jobs return to the queue this soon.
      FULCRUM_JOB_LEASE_MS: '2000',
      FULCRUM_HEALTH_POLL_MS: '200',
      FULCRUM_HEARTBEAT_INTERVAL_MS: '500',
      FULCRUM_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
      FULCRUM_HOST_SILENCE_GRACE_MS: '500',
    };
    const env = (dir: string, extra: Record<string, string> = {}) => cleanEnv({ ...base, FULCRUM_DATA_DIR: dir, ...extra }) as Record<string, string>;
    const apiProc = start(['api'], env(tempDir('api')));
    for (const h of workerHosts) {
      const workerEnv = env(tempDir('worker'), { FULCRUM_LOCAL_AGENT_PORT: String(h.port), FULCRUM_HOST_NAME: h.name });
      workers.push({ proc: start(['worker'], workerEnv), env: workerEnv });
    }
    for (let i = 0; i < 2; i++) managers.push(start(['health-manager'], env(tempDir('health'))));
    api = await apiProc.address;

    const network = await call('POST', '/v2/fulcrum/networks', { network: { name: 'prodshape' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await call('POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr: `127.${randomInt(226, 236)}.${randomInt(0, 255)}.0/24` } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    subnetId = subnet.body.subnet.id;
    backend = await startBackend('prodshape-be');
    backends.push(backend);

    await Promise.all([
      ...managers.map((m) => until('the health manager to take heartbeats', async () => m.output().includes('health manager takes heartbeats'), STARTUP_MS)),
      ...['h1', 'h2', 'h3'].map(async (name) => {
        const token = await call('POST', '/v2/fulcrum/hosts/join-tokens', {});
        assert.equal(token.status, 201, JSON.stringify(token.body));
        const dir = tempDir(name);
        const args = ['host', 'join', '--controller', api, '--token', token.body.join_token.token, '--name', name, '--address', '127.0.0.1', '--port', String(await freePort()), '--data-dir', dir];
        const proc = start(args, cleanEnv() as Record<string, string>);
        await until(`host ${name} to serve its agent`, async () => {
          if (proc.child.exitCode !== null) assert.fail(`fulcrum host join ${name} exited with ${proc.child.exitCode}:\n${proc.output()}`);
          return /amphora agent of host .* listening/.test(proc.output());
        }, STARTUP_MS);
        hosts.push({ name, dir, proc, id: JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')).id });
      }),
    ]);
    hosts.sort((a, b) => a.name.localeCompare(b.name));
  });

  after(async () => {
    // Every process this file started, by its PID, then what the agents ran.
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    for (const h of hosts) killAmphoraDaemons(join(h.dir, 'run'));
    for (const w of workers) stopLocalDataPlane(w.env.FULCRUM_DATA_DIR);
    for (const b of backends) await b.close().catch(() => {});
    await database?.close().catch(() => {});
    await drop?.();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('load balancers created through the API become ACTIVE, serve, and spread over the three hosts', async () => {
    await until(
      'the three joined hosts ONLINE',
      async () => (await db().selectFrom('host').select('id').where('kind', '=', 'joined').where('operating_status', '=', 'ONLINE').execute()).length === 3,
      30_000,
    );
    const memberBackend = await startBackend('prodshape-be');
    backends.push(memberBackend);
    const monitor = { healthmonitor: { type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/' } };
    const created = await Promise.all([
      createLb('lb-0', monitor, memberBackend),
      ...[1, 2, 3, 4, 5].map((i) => createLb(`lb-${i}`)),
    ]);
    await allActive(created.map((l) => l.id));
    for (const lb of created) await serving(lb);
    const load = await allocatedOn();
    for (const h of hosts) assert.ok((load.get(h.id) ?? 0) >= 1, `host ${h.name} runs amphorae: ${JSON.stringify([...load])}`);
    assert.equal(hosts.reduce((sum, h) => sum + (load.get(h.id) ?? 0), 0), 6, 'every amphora on a joined host, none on the controllers');
    const pool = (await call('GET', `/v2/lbaas/pools?loadbalancer_id=${created[0].id}`)).body.pools[0];
    const member = (await call('GET', `/v2/lbaas/pools/${pool.id}/members`)).body.members[0];
    watched = { lbId: created[0].id, poolId: pool.id, memberId: member.id, backend: memberBackend };
    await until('the watched member ONLINE', async () => (await call('GET', `/v2/lbaas/pools/${pool.id}/members/${member.id}`)).body.member.operating_status === 'ONLINE', 30_000);
  });

  test('a worker killed by its PID in the middle of a flow: the other worker finishes it, nothing stays PENDING', async () => {
    const created = await Promise.all([6, 7, 8].map((i) => createLb(`lb-${i}`)));
    // A job whose first steps are recorded and that is still running: a flow mid-way.
    const held = await until(
      'a flow in the middle of its steps',
      async () =>
        (
          await sql<{ id: string; lease_owner: string }>`select j.id, j.lease_owner from job j
            where j.state = 'running' and j.lease_owner is not null and exists (select 1 from job_step s where s.job_id = j.id)
            limit 1`.execute(db())
        ).rows[0],
      30_000,
      10,
    );
    const pid = Number(/^worker-(\d+)-/.exec(held.lease_owner)?.[1]);
    const victim = workers.find((w) => w.proc.child.pid === pid);
    assert.ok(victim, `job ${held.id} is held by one of the two workers (${held.lease_owner})`);
    await victim.proc.stop('SIGKILL');
    assert.equal(victim.proc.child.signalCode, 'SIGKILL');
    const killedAt = await dbNow();

    await allActive(created.map((l) => l.id));
    const job = await until(
      `job ${held.id} to finish`,
      async () => {
        const j = await db().selectFrom('job').select(['state', 'finished_at']).where('id', '=', held.id).executeTakeFirstOrThrow();
        return j.state === 'succeeded' || j.state === 'failed' ? j : null;
      },
      30_000,
    );
    assert.equal(job.state, 'succeeded');
    assert.ok(job.finished_at && job.finished_at > killedAt, 'the job finished after its worker was killed');
    assert.deepEqual(await pendingRows(), []);
    for (const lb of created) await serving(lb);
    const load = await allocatedOn();
    assert.equal(hosts.reduce((sum, h) => sum + (load.get(h.id) ?? 0), 0), 9);

    // The operator starts it again: it takes its data dir's agent back.
    const again = start(['worker'], victim.env);
    workers[workers.indexOf(victim)] = { proc: again, env: victim.env };
  });

  test('a host killed: OFFLINE once, and its load balancers come back on the others with one failover per amphora, no API call', async () => {
    // The busiest host that does not run the watched load balancer, which the last test needs in place.
    const watchedHost = (await placement(watched.lbId)).find((a) => a.status === 'ALLOCATED')!.host_id;
    const load = await allocatedOn();
    const victim = hosts.filter((h) => h.id !== watchedHost).sort((a, b) => (load.get(b.id) ?? 0) - (load.get(a.id) ?? 0))[0];
    const survivors = hosts.filter((h) => h !== victim).map((h) => h.id);
    const lost = (await db().selectFrom('amphora').select(['id', 'load_balancer_id']).where('host_id', '=', victim.id).where('status', '=', 'ALLOCATED').execute()).map((a) => ({
      id: a.id,
      load_balancer_id: a.load_balancer_id!,
    }));
    assert.ok(lost.length >= 1, `host ${victim.name} runs amphorae`);
    const killedAt = await dbNow();
    await victim.proc.stop('SIGKILL');
    killAmphoraDaemons(join(victim.dir, 'run'));

    // From here on, only the database and the VIPs are looked at: nobody asks the API for anything.
    await until('the host OFFLINE', async () => (await db().selectFrom('host').select('operating_status').where('id', '=', victim.id).executeTakeFirstOrThrow()).operating_status === 'OFFLINE', 30_000);
    const moved = lost.map((a) => lbs.find((l) => l.id === a.load_balancer_id)!);
    await until(
      'every load balancer of the host ACTIVE on another host',
      async () => {
        for (const lb of moved) {
          const live = (await placement(lb.id)).filter((a) => a.status === 'ALLOCATED');
          if ((await lbStatus(lb.id)) !== 'ACTIVE' || live.length !== 1 || !survivors.includes(live[0].host_id!)) return false;
        }
        return true;
      },
      90_000,
    );
    for (const lb of moved) await serving(lb);
    // Longer than a health manager needs to queue a second failover, had it judged the old amphora again.
    await sleep(HEARTBEAT_TIMEOUT_MS + 1000);

    for (const old of lost) {
      const jobs = await db().selectFrom('job').select(['id', 'state']).where('dedupe_key', '=', `failover:${old.id}`).execute();
      assert.equal(jobs.length, 1, `one failover job for amphora ${old.id}`);
      assert.equal(jobs[0].state, 'succeeded');
      const started = await db()
        .selectFrom('event')
        .select('id')
        .where('type', '=', 'failover.started')
        .where('load_balancer_id', '=', old.load_balancer_id)
        .where('created_at', '>=', killedAt)
        .execute();
      assert.equal(started.length, 1, `one failover.started for load balancer ${old.load_balancer_id}`);
      const rows = await placement(old.load_balancer_id);
      assert.equal(rows.find((a) => a.id === old.id)?.status, 'DELETED');
      const replacements = rows.filter((a) => a.created_at >= killedAt);
      assert.equal(replacements.length, 1, `one replacement amphora for ${old.id}: ${JSON.stringify(rows)}`);
      assert.equal(replacements[0].status, 'ALLOCATED');
      assert.equal(await lbStatus(old.load_balancer_id), 'ACTIVE');
    }
    // Since the kill: on a busy machine a host may have missed a probe before.
    const hostEvents = await db().selectFrom('event').select(['type', 'detail', 'project_id', 'created_at']).where('type', 'like', 'host.%').where('created_at', '>=', killedAt).orderBy('created_at').execute();
    const ofVictim = hostEvents.filter((e) => (e.detail as { host_id?: string }).host_id === victim.id);
    assert.deepEqual(
      ofVictim.map((e) => e.type),
      ['host.offline'],
      `two health managers saw the host go silent; one event: ${JSON.stringify(ofVictim)}`,
    );
    assert.equal((ofVictim[0].detail as { amphora_count: number }).amphora_count, lost.length);
    assert.equal(ofVictim[0].project_id, null);
    assert.deepEqual(await pendingRows(), []);

    // Diagnostics of a moved load balancer name its new host, ONLINE.
    const diagnosed = await until(
      'the moved load balancer diagnosed healthy',
      async () => {
        const d = (await call('GET', `/v2/fulcrum/loadbalancers/${moved[0].id}/diagnostics`)).body.diagnostics;
        return d.broken_at === null ? d : null;
      },
      20_000,
    );
    const hostCheck = diagnosed.amphorae[0].checks.find((c: { name: string }) => c.name === 'host');
    const newHost = hosts.find((h) => h.id === diagnosed.amphorae[0].host_id)!;
    assert.ok(survivors.includes(newHost.id));
    assert.match(hostCheck.detail, new RegExp(`^${newHost.name} \\(${newHost.id}\\), ENABLED, ONLINE`));
  });

  test('a health manager killed by its PID: a member going down still reaches the API through the other', async () => {
    const [killed] = managers;
    await killed.stop('SIGKILL');
    assert.equal(killed.child.signalCode, 'SIGKILL');
    await watched.backend.close();
    await until(
      'the member ERROR in the API',
      async () => (await call('GET', `/v2/lbaas/pools/${watched.poolId}/members/${watched.memberId}`)).body.member.operating_status === 'ERROR',
      30_000,
    );
    const events = (await call('GET', `/v2/fulcrum/events?loadbalancer_id=${watched.lbId}&type=member.error`)).body.events;
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0].detail.member_id, watched.memberId);
  });
});
