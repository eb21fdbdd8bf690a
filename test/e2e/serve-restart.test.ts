// A real `fulcrum serve` with the amphora provider on the process compute driver: its load
// balancers keep serving while the controller is down (the agent and HAProxy are detached), and
// the next `fulcrum serve` on the same data directory pushes new changes through the running
// agent, and adopts it (instead of starting a second one) when it places a new amphora.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { pidRunning } from '../../src/agent/process-table.ts';
import { isAgentCommandLine } from '../../src/compute/agent-command-line.ts';

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': 'serve-restart', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitActive(base: string, lbId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await call(base, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
    const status = res.body?.loadbalancer?.provisioning_status;
    if (status === 'ACTIVE') return;
    if (status === 'ERROR' || Date.now() > deadline) {
      const jobs = await call(base, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`);
      throw new Error(`LB ${lbId} is ${status}, not ACTIVE: ${JSON.stringify(jobs.body)}`);
    }
    await sleep(50);
  }
}

async function answering(url: string, n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await httpGet(url, 2000);
    assert.equal(res.status, 200, `GET ${url}: ${res.status} ${res.body}`);
    seen.add(res.body);
  }
  return [...seen].sort();
}

/** One request loop through `url` (a new connection each, bounded by count and time) until stopped. */
function startProbe(url: string): { stop(): Promise<{ okAt: number[]; failures: string[] }>; okAt: readonly number[] } {
  const okAt: number[] = [];
  const failures: string[] = [];
  const deadline = Date.now() + 40_000;
  let stopping = false;
  const done = (async () => {
    for (let i = 0; i < 20_000 && !stopping && Date.now() < deadline; i++) {
      try {
        const res = await httpGet(url, 2000);
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        okAt.push(Date.now());
      } catch (err) {
        failures.push(`${new Date().toISOString()}: ${(err as Error).message}`);
      }
      await sleep(20);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await done;
      return { okAt, failures };
    },
    okAt,
  };
}

/** Live `amphora-agent` processes whose environment names `runDir` as their base directory (HAProxy inherits it too). */
function agentsFor(runDir: string): number[] {
  const wanted = `FULCRUM_AGENT_BASE_DIR=${runDir}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const agent = isAgentCommandLine(readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0'));
      if (agent && readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(wanted) && pidRunning(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

describe('fulcrum serve restarts under a running data plane', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-serve-'));
  const agentDir = join(dataDir, 'agent');
  const runDir = join(agentDir, 'run');
  const cidr = `127.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`;
  const started: FulcrumProcess[] = [];
  let env: Record<string, string>;
  let backends: Backend[] = [];
  let probe: ReturnType<typeof startProbe> | null = null;

  before(async () => {
    env = {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_DEFAULT_PROVIDER: 'amphora',
      FULCRUM_NETWORK_DRIVER: 'local',
      FULCRUM_COMPUTE_DRIVER: 'process',
      FULCRUM_JOB_POLL_MS: '50',
      FULCRUM_HEALTH_POLL_MS: '500',
    };
    backends = await Promise.all([startBackend('be1'), startBackend('be2')]);
  });

  after(async () => {
    await probe?.stop();
    for (const p of started) await p.stop('SIGKILL');
    stopLocalDataPlane(dataDir);
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('SIGTERM: the VIP keeps serving; the next serve adopts the agent and pushes new changes', async () => {
    const first = startFulcrum(['serve'], env);
    started.push(first);
    const base = await first.address;
    const network = await call(base, 'POST', '/v2/fulcrum/networks', { network: { name: 'serve-restart' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await call(base, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));

    const lb = await call(base, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'kept', vip_subnet_id: subnet.body.subnet.id } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    const lbId = lb.body.loadbalancer.id;
    const vip = lb.body.loadbalancer.vip_address;
    await waitActive(base, lbId);
    const listener = await call(base, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 8080 } });
    assert.equal(listener.status, 201, JSON.stringify(listener.body));
    await waitActive(base, lbId);
    const pool = await call(base, 'POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    await waitActive(base, lbId);
    const poolId = pool.body.pool.id;
    const m1 = await call(base, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '127.0.0.1', protocol_port: backends[0].port } });
    assert.equal(m1.status, 201, JSON.stringify(m1.body));
    await waitActive(base, lbId);

    const url = `http://${vip}:8080/`;
    assert.deepEqual(await answering(url, 5), ['be1'], 'traffic flows through the VIP');
    const agentPid = Number(readFileSync(join(agentDir, 'agent.pid'), 'utf8'));
    assert.ok(pidRunning(agentPid), 'the agent runs');
    assert.deepEqual(agentsFor(runDir), [agentPid], 'one agent for this data directory');
    const [amphoraId] = readdirSync(runDir);
    const haproxyPid = Number(readFileSync(join(runDir, amphoraId, 'haproxy.pid'), 'utf8'));

    // Clients keep coming through the restart, one new connection at a time.
    probe = startProbe(url);
    // The controller goes away; the data plane does not.
    assert.equal(await first.stop('SIGTERM'), 0, 'serve exits cleanly on SIGTERM');
    const downSince = Date.now();
    assert.ok(pidRunning(agentPid), 'the agent outlives the controller');
    assert.ok(pidRunning(haproxyPid), 'HAProxy outlives the controller');
    // A sample counted in requests, not time: ten served with no controller running.
    const downDeadline = Date.now() + 30_000;
    while (probe.okAt.filter((at) => at > downSince).length < 10) {
      if (Date.now() > downDeadline) assert.fail(`the VIP stopped serving while the controller was down: ${JSON.stringify(probe.okAt.slice(-3))}`);
      await sleep(50);
    }

    const second = startFulcrum(['serve'], env);
    started.push(second);
    const base2 = await second.address;
    const upAgain = Date.now();
    const got = await call(base2, 'GET', `/v2/lbaas/loadbalancers/${lbId}`);
    assert.equal(got.body.loadbalancer.provisioning_status, 'ACTIVE');

    const m2 = await call(base2, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: '127.0.0.1', protocol_port: backends[1].port } });
    assert.equal(m2.status, 201, JSON.stringify(m2.body));
    await waitActive(base2, lbId);
    const probed = await probe.stop();
    const whileDown = probed.okAt.filter((t) => t > downSince && t < upAgain).length;
    assert.deepEqual(probed.failures, [], 'no request failed across the restart');
    assert.ok(whileDown >= 10, `the VIP served while the controller was down (${whileDown} requests in ${upAgain - downSince} ms)`);
    assert.deepEqual(await answering(url, 10), ['be1', 'be2'], 'the change made after the restart reached the data plane');

    assert.equal(Number(readFileSync(join(agentDir, 'agent.pid'), 'utf8')), agentPid, 'the pid file still names the first agent');
    assert.ok(pidRunning(agentPid), 'the first agent still runs');
    assert.deepEqual(agentsFor(runDir), [agentPid], 'no second agent was started');
    assert.ok(pidRunning(haproxyPid), 'the same HAProxy master serves on (reloaded, not restarted)');
    assert.equal(Number(readFileSync(join(runDir, amphoraId, 'haproxy.pid'), 'utf8')), haproxyPid);
    assert.ok(existsSync(join(runDir, amphoraId, 'haproxy.cfg')));

    // A new amphora needs this host's agent: the restarted controller finds the running one.
    const lb2 = await call(base2, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'after-restart', vip_subnet_id: subnet.body.subnet.id } });
    assert.equal(lb2.status, 201, JSON.stringify(lb2.body));
    await waitActive(base2, lb2.body.loadbalancer.id);
    assert.equal(readdirSync(runDir).length, 2, 'the new amphora runs under the same agent directory');
    assert.equal(Number(readFileSync(join(agentDir, 'agent.pid'), 'utf8')), agentPid, 'the pid file still names the first agent');
    assert.deepEqual(agentsFor(runDir), [agentPid], 'still one agent');
    assert.match(second.output(), /adopted the running amphora agent/);
    assert.doesNotMatch(second.output(), /started the amphora agent/);
    assert.deepEqual(await answering(url, 4), ['be1', 'be2'], 'the first load balancer serves on');
  });
});
