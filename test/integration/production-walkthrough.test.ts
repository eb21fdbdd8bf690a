// The README's production section, as an operator follows it on an empty PostgreSQL database:
// doctor says what is missing, `fulcrum migrate`, register a network and subnet with the
// command line, two `api`, a `worker` and a `health-manager`, then a load balancer created
// through one API answers on its VIP, is seen through the other, and the health manager
// reports it ONLINE.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresDatabase } from '../helpers/db.ts';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { cleanEnv, runFulcrum } from '../helpers/fulcrum-serve.ts';

const fulcrum = runFulcrum;

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': 'walkthrough', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const field = (output: string, name: string) => new RegExp(`^${name}:\\s+(\\S+)$`, 'm').exec(output)?.[1];

describe('production mode from an empty PostgreSQL to a serving load balancer', () => {
  const processes: FulcrumProcess[] = [];
  const backends: Backend[] = [];
  let drop: (() => Promise<void>) | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-walkthrough-'));
  after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    stopLocalDataPlane(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    for (const b of backends) await b.close();
    await drop?.();
  });

  test('the README walk-through', async () => {
    const pg = await createPostgresDatabase();
    drop = pg.drop;
    const env = {
      FULCRUM_DATABASE_URL: pg.url,
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_JOB_POLL_MS: '50',
      FULCRUM_HEALTH_POLL_MS: '500',
      FULCRUM_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
    };

    const before = await fulcrum(['doctor'], env);
    assert.equal(before.code, 1, before.stdout + before.stderr);
    assert.match(before.stdout, /^FAIL {2}migrations: \d+ pending \(0001_core/m);
    assert.match(before.stdout, /→ run "fulcrum migrate"/);

    const early = await fulcrum(['network', 'list'], env);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /no Fulcrum schema yet .*: run "fulcrum migrate" first/);

    const migrate = await fulcrum(['migrate'], env);
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /^applied: 0001_core/);

    const empty = await fulcrum(['doctor'], env);
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /^FAIL {2}networks: no subnet is registered/m);
    assert.match(empty.stdout, /→ fulcrum network create --name public && fulcrum subnet create --network public/);

    const network = await fulcrum(['network', 'create', '--name', 'public'], env);
    assert.equal(network.code, 0, network.stderr);
    const networkId = field(network.stdout, 'id');
    assert.match(networkId ?? '', /^[0-9a-f-]{36}$/);
    const cidr = `127.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`;
    const subnet = await fulcrum(['subnet', 'create', '--network', 'public', '--cidr', cidr, '--name', 'public'], env);
    assert.equal(subnet.code, 0, subnet.stderr);
    const subnetId = field(subnet.stdout, 'id')!;
    assert.equal(field(subnet.stdout, 'network'), networkId);
    assert.equal(field(subnet.stdout, 'cidr'), cidr);

    const overlap = await fulcrum(['subnet', 'create', '--network', networkId!, '--cidr', cidr.replace('/24', '/25')], env);
    assert.equal(overlap.code, 1);
    assert.match(overlap.stderr, /overlaps with another subnet/);
    const bad = await fulcrum(['subnet', 'create', '--network', 'public', '--cidr', '10.0.0.0/33'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cidr "10\.0\.0\.0\/33" is not a CIDR/);
    const unknown = await fulcrum(['subnet', 'create', '--network', 'nowhere', '--cidr', '10.9.0.0/24'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Network nowhere not found/);
    const listed = await fulcrum(['subnet', 'list'], env);
    assert.equal(listed.code, 0);
    assert.equal(listed.stdout.trim().split('\n').length, 2, listed.stdout);
    assert.ok(listed.stdout.includes(subnetId) && listed.stdout.includes(cidr));
    const networks = await fulcrum(['network', 'list'], env);
    assert.match(networks.stdout, new RegExp(`${networkId}\\s+public\\s+\\(shared\\)\\s+${subnetId}`));

    const apis = [startFulcrum(['api'], cleanEnv(env) as Record<string, string>), startFulcrum(['api'], cleanEnv(env) as Record<string, string>)];
    const worker = startFulcrum(['worker'], cleanEnv(env) as Record<string, string>);
    const health = startFulcrum(['health-manager'], cleanEnv(env) as Record<string, string>);
    processes.push(...apis, worker, health);
    const [one, two] = await Promise.all(apis.map((a) => a.address));

    const backend = await startBackend('walkthrough');
    backends.push(backend);
    const port = await freePort();
    const created = await call(one, 'POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'web',
        vip_subnet_id: subnetId,
        listeners: [
          {
            protocol: 'HTTP',
            protocol_port: port,
            default_pool: { name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] },
          },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.loadbalancer.id;
    const deadline = Date.now() + 60_000;
    let lb: { provisioning_status: string; operating_status: string; vip_address: string } = created.body.loadbalancer;
    while (!(lb.provisioning_status === 'ACTIVE' && lb.operating_status === 'ONLINE')) {
      if (lb.provisioning_status === 'ERROR' || Date.now() > deadline) {
        const jobs = await call(one, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${id}`);
        assert.fail(`LB ${lb.provisioning_status}/${lb.operating_status}: ${JSON.stringify(jobs.body)}\n${worker.output().slice(-3000)}`);
      }
      await sleep(100);
      lb = (await call(two, 'GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer;
    }
    assert.ok(lb.vip_address.startsWith(cidr.split('.').slice(0, 3).join('.') + '.'), lb.vip_address);
    const res = await httpGet(`http://${lb.vip_address}:${port}/`, 3000);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'walkthrough');

    const after = await fulcrum(['doctor'], env);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(after.stdout, /^ok {4}PostgreSQL: reachable/m);
    assert.match(after.stdout, /^ok {4}networks: 1 subnet\(s\) registered/m);
    assert.match(after.stdout, /^ok {4}amphora agent 127\.0\.0\.1:\d+: running, and its certificate is from this deployment's CA/m);
  });
});
