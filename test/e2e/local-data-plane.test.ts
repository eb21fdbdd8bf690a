// The local data plane belongs to its data dir: real `fulcrum serve` processes with the process
// compute driver. Two instances side by side both serve (their own agent, their own VIP range);
// a second instance on an agent port another data dir's agent holds stops at once and says so;
// an agent whose data dir is removed stops itself and its HAProxy; `fulcrum stop` ends a data
// plane; what keeps running is logged when serve stops; the agent and HAProxy carry none of
// serve's secrets; the data dir, the PKI dir and the keys are private.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { cleanEnv, ROOT, startServe, stopChild, type Server } from '../helpers/fulcrum-serve.ts';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
const KEYSTONE_PASSWORD = 'local-data-plane-keystone-password';

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': 'local-data-plane', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** An LB with one HTTP listener on `port` in front of `backend`; resolves with its VIP once ACTIVE. */
async function createServingLb(base: string, backend: Backend, port: number): Promise<{ id: string; vip: string }> {
  const subnets = await call(base, 'GET', '/v2/fulcrum/subnets');
  const local = subnets.body.subnets.find((s: { name: string }) => s.name === 'local');
  assert.ok(local, 'serve registered the local subnet');
  const created = await call(base, 'POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      name: 'web',
      vip_subnet_id: local.id,
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: port,
          default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] },
        },
      ],
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.loadbalancer.id;
  const deadline = Date.now() + 40_000;
  for (;;) {
    const lb = (await call(base, 'GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer;
    if (lb.provisioning_status === 'ACTIVE') return { id, vip: lb.vip_address };
    if (lb.provisioning_status === 'ERROR' || Date.now() > deadline) {
      throw new Error(`LB ${id} ${lb.provisioning_status}: ${JSON.stringify((await call(base, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${id}`)).body)}`);
    }
    await sleep(50);
  }
}

function agentPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'agent', 'agent.pid'), 'utf8').trim());
}

function haproxyPids(dataDir: string): number[] {
  const run = join(dataDir, 'agent', 'run');
  return readdirSync(run)
    .map((id) => join(run, id, 'haproxy.pid'))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8').trim()));
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  return pids.filter(alive);
}

function environ(pid: number): Map<string, string> {
  return new Map(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string]),
  );
}

function runFulcrum(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/fulcrum.js'), ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the local data plane belongs to its data dir', () => {
  const servers: Server[] = [];
  const dataDirs: string[] = [];
  const backends: Backend[] = [];
  after(async () => {
    for (const s of servers) await stopChild(s.child, 5000);
    for (const d of dataDirs) {
      if (existsSync(d)) stopLocalDataPlane(d);
      rmSync(d, { recursive: true, force: true });
    }
    for (const b of backends) await b.close();
  });

  /** A data dir that exists already with loose modes, and a key file with loose mode, as an older install left them. */
  function looseDataDir(name: string): string {
    const dir = mkdtempSync(join(tmpdir(), `fulcrum-ldp-${name}-`));
    dataDirs.push(dir);
    mkdirSync(join(dir, 'agent', 'pki'), { recursive: true });
    writeFileSync(join(dir, 'agent', 'pki', 'agent-key.pem'), 'old', { mode: 0o644 });
    for (const d of [dir, join(dir, 'agent'), join(dir, 'agent', 'pki')]) chmodSync(d, 0o755);
    chmodSync(join(dir, 'agent', 'pki', 'agent-key.pem'), 0o644);
    return dir;
  }

  async function serve(name: string, dataDir: string, agentPort: number): Promise<Server> {
    const server = await startServe(name, {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_LOCAL_AGENT_PORT: String(agentPort),
      FULCRUM_SECRET_KEY: SECRET_KEY,
      FULCRUM_KEYSTONE_PASSWORD: KEYSTONE_PASSWORD,
    }, 120_000);
    servers.push(server);
    return server;
  }

  test('two instances side by side both serve, with private files and agents that carry no secrets', async () => {
    const backend = await startBackend('ldp-a');
    backends.push(backend);
    const [dirA, dirB] = [looseDataDir('a'), looseDataDir('b')];
    const [portA, portB] = [await freePort(), await freePort()];
    const listenerPort = await freePort();
    // B starts while A's HAProxy listens: B's VIP range skips A's even if their paths hash alike.
    const a = await serve('ldp-a', dirA, portA);
    const lbA = await createServingLb(a.url, backend, listenerPort);
    const b = await serve('ldp-b', dirB, portB);
    const lbB = await createServingLb(b.url, backend, listenerPort);

    // Same listener port on both: only distinct VIPs keep them apart.
    assert.notEqual(lbA.vip.split('.').slice(0, 2).join('.'), lbB.vip.split('.').slice(0, 2).join('.'), `${lbA.vip} and ${lbB.vip} are in one /16`);
    for (const lb of [lbA, lbB]) {
      const res = await httpGet(`http://${lb.vip}:${listenerPort}/`, 3000);
      assert.equal(res.status, 200);
      assert.equal(res.body, 'ldp-a');
    }

    for (const dir of [dirA, dirB]) {
      assert.equal(mode(dir), 0o700, `${dir}`);
      assert.equal(mode(join(dir, 'agent')), 0o700);
      assert.equal(mode(join(dir, 'agent', 'pki')), 0o700);
      assert.equal(mode(join(dir, 'agent', 'pki', 'agent-key.pem')), 0o600);
      assert.match(readFileSync(join(dir, 'agent', 'pki', 'agent-key.pem'), 'utf8'), /PRIVATE KEY/);
    }

    const pids = [agentPid(dirA), ...haproxyPids(dirA)];
    assert.equal(pids.length, 2, 'the agent and one HAProxy master');
    for (const pid of pids) {
      const env = environ(pid);
      const fulcrumVars = [...env.keys()].filter((k) => k.startsWith('FULCRUM_') && !k.startsWith('FULCRUM_AGENT_'));
      assert.deepEqual(fulcrumVars, [], `pid ${pid} carries ${fulcrumVars.join(', ')}`);
      const values = [...env.values()].join('\n');
      assert.ok(!values.includes(SECRET_KEY) && !values.includes(KEYSTONE_PASSWORD), `pid ${pid} carries a secret`);
      assert.ok(env.has('PATH'));
    }
    assert.equal(environ(pids[0]).get('FULCRUM_AGENT_PORT'), String(portA));
  });

  test('a second data dir on a port another data dir’s agent holds stops at once and names the port', async () => {
    const a = servers[0];
    const port = Number(environ(agentPid(dataDirs[0])).get('FULCRUM_AGENT_PORT'));
    assert.ok(a && port > 0);
    const dir = looseDataDir('c');
    await assert.rejects(serve('ldp-c', dir, port), (err: Error) => {
      assert.match(err.message, /exited \(1\) before listening/);
      assert.match(err.message, new RegExp(`agent port 127\\.0\\.0\\.1:${port} is held by pid \\d+, the amphora agent of data dir ${dataDirs[0]}`));
      assert.match(err.message, /FULCRUM_LOCAL_AGENT_PORT/);
      return true;
    });
  });

  test('stopping serve says what keeps running; fulcrum stop ends it', async () => {
    const b = servers[1];
    const dir = dataDirs[1];
    const pids = [agentPid(dir), ...haproxyPids(dir)];
    assert.equal(pids.length, 2);
    const refused = await runFulcrum(['stop'], { FULCRUM_DATA_DIR: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.output, /fulcrum serve is running on .*: stop it first/);
    assert.deepEqual(pids.filter(alive), pids, 'nothing was stopped under a running serve');
    const exited = new Promise((r) => b.child.once('exit', r));
    b.child.kill('SIGINT');
    await exited;
    const said = b.log.join('\n');
    assert.match(said, new RegExp(`the amphora agent \\(pid ${pids[0]}, port \\d+\\) and the HAProxy processes of 1 amphorae keep serving`));
    assert.ok(said.includes(`FULCRUM_DATA_DIR=${dir} fulcrum stop`));
    assert.deepEqual(pids.filter(alive), pids, 'the data plane outlives serve');

    const stop = await runFulcrum(['stop'], { FULCRUM_DATA_DIR: dir });
    assert.equal(stop.code, 0, stop.output);
    assert.match(stop.output, new RegExp(`stopped amphora agent \\(pid ${pids[0]}\\)`));
    assert.match(stop.output, new RegExp(`stopped haproxy of amphora \\S+ \\(pid ${pids[1]}\\)`));
    assert.deepEqual(await waitGone(pids, 15_000), []);
  });

  test('an agent whose data dir is removed stops itself and its HAProxy', async () => {
    const a = servers[0];
    const dir = dataDirs[0];
    const pids = [agentPid(dir), ...haproxyPids(dir)];
    assert.equal(pids.length, 2);
    await stopChild(a.child, 5000);
    assert.deepEqual(pids.filter(alive), pids, 'serve stopped, the data plane runs on');
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(await waitGone(pids, 20_000), [], 'the orphaned agent and its HAProxy stopped');
  });
});
