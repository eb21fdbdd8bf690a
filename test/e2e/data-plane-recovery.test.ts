// The local data plane comes back on its own, through a real `fulcrum serve` on the process
// compute driver with real HAProxy:
//   - one amphora's HAProxy killed (SIGKILL): its agent starts it again, no controller call;
//   - the agent and every HAProxy killed while serve runs: serve's watchdog starts the agent
//     again, which brings back every load balancer;
//   - power loss (serve, agent and every HAProxy killed with SIGKILL), then serve again: every
//     load balancer serves again once the new serve is up.
// Each time: traffic through every VIP came back, and exactly one agent and one HAProxy master
// (with its workers) per amphora run; nothing from before is left.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentOf, pidRunning, readCmdline } from '../../src/agent/process-table.ts';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { isAgentCommandLine } from '../../src/compute/agent-command-line.ts';

async function call(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-project-id': 'recovery', ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | false | null | Promise<T | false | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Live processes whose command line names `needle`, by program (basename of argv[0] or argv[1]). */
async function processesNaming(needle: string): Promise<{ pid: number; argv: string[] }[]> {
  const found: { pid: number; argv: string[] }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const argv = await readCmdline(Number(entry));
    if (argv.some((a) => a.includes(needle)) && pidRunning(Number(entry))) found.push({ pid: Number(entry), argv });
  }
  return found;
}

/** Live `amphora-agent` processes whose environment names `runDir` as their base directory. */
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
  return pids;
}

describe('the local data plane recovers without an operator', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-recovery-'));
  const agentDir = join(dataDir, 'agent');
  const runDir = join(agentDir, 'run');
  const cidr = `127.${randomInt(200, 250)}.${randomInt(0, 255)}.0/24`;
  const started: FulcrumProcess[] = [];
  let env: Record<string, string>;
  let backends: Backend[] = [];
  let serve: FulcrumProcess;
  let base: string;
  const lbs: { id: string; url: string; backend: string }[] = [];

  before(async () => {
    env = {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_DEFAULT_PROVIDER: 'amphora',
      FULCRUM_NETWORK_DRIVER: 'local',
      FULCRUM_COMPUTE_DRIVER: 'process',
      FULCRUM_JOB_POLL_MS: '50',
      // Automatic failover stays on: what heals here is the agent and the controller's watchdog,
      // and the health manager takes an agent restart for a host event, not for amphorae to
      // replace (src/health/host-silence.ts), so the processes under test are not replaced.
      FULCRUM_HEALTH_POLL_MS: '500',
    };
    backends = await Promise.all([startBackend('be-a'), startBackend('be-b')]);
    serve = startFulcrum(['serve'], env);
    started.push(serve);
    base = await serve.address;
    const network = await call(base, 'POST', '/v2/fulcrum/networks', { network: { name: 'recovery' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await call(base, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    for (const backend of backends) {
      const lb = await call(base, 'POST', '/v2/lbaas/loadbalancers', {
        loadbalancer: {
          name: `recovery-${backend.name}`,
          vip_subnet_id: subnet.body.subnet.id,
          listeners: [
            {
              protocol: 'HTTP',
              protocol_port: 8080,
              default_pool: { name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '127.0.0.1', protocol_port: backend.port }] },
            },
          ],
        },
      });
      assert.equal(lb.status, 201, JSON.stringify(lb.body));
      lbs.push({ id: lb.body.loadbalancer.id, url: `http://${lb.body.loadbalancer.vip_address}:8080/`, backend: backend.name });
    }
    for (const lb of lbs) {
      await until(`LB ${lb.id} ACTIVE`, 30_000, async () => (await call(base, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body?.loadbalancer?.provisioning_status === 'ACTIVE');
    }
  });

  after(async () => {
    for (const p of started) await p.stop('SIGKILL');
    stopLocalDataPlane(dataDir);
    await Promise.all(backends.map((b) => b.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every VIP answers with its member, through a new connection. */
  async function allServe(): Promise<void> {
    for (const lb of lbs) {
      await until(`${lb.url} to serve`, 60_000, async () => {
        const res = await httpGet(lb.url, 1000).catch(() => null);
        return res?.status === 200 && res.body === lb.backend;
      });
    }
  }

  async function haproxyOf(amphoraId: string): Promise<{ master: number; all: number[] }> {
    const master = Number(readFileSync(join(runDir, amphoraId, 'haproxy.pid'), 'utf8'));
    const all = (await processesNaming(join(runDir, amphoraId, 'haproxy.cfg'))).map((p) => p.pid);
    return { master, all };
  }

  /** One agent; per amphora one live master, and every HAProxy process is it or its worker. */
  async function assertOneOfEach(): Promise<{ agent: number; masters: Map<string, number> }> {
    const agents = agentsFor(runDir);
    assert.equal(agents.length, 1, `one agent runs, found ${agents.join(', ')}`);
    assert.equal(Number(readFileSync(join(agentDir, 'agent.pid'), 'utf8')), agents[0], 'the pid file names it');
    // On a loaded machine a slow recovery may still be failed over (automatic failover is on):
    // its replacement and the retired amphora's directory stand side by side for a moment.
    const amphorae = await until(`one amphora directory per load balancer (${lbs.length})`, 30_000, () => {
      const dirs = readdirSync(runDir);
      return dirs.length === lbs.length && dirs;
    });
    const masters = new Map<string, number>();
    for (const id of amphorae) {
      const { master, all } = await until(`only the new HAProxy of ${id} to run`, 10_000, async () => {
        const found = await haproxyOf(id);
        return found.all.every((pid) => pid === found.master || parentOf(pid) === found.master) && found;
      });
      assert.ok(pidRunning(master), `the master of ${id} runs`);
      assert.ok(all.length >= 2, `master and worker of ${id}: ${all.join(', ')}`);
      assert.equal(parentOf(master), agents[0], 'the master is the running agent’s child');
      masters.set(id, master);
    }
    return { agent: agents[0], masters };
  }

  function kill(pid: number): void {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /**
   * Waits for the killed processes themselves to be gone, not for the amphorae to have no
   * HAProxy: the watchdog's new agent may already have started new ones by the time a scan of
   * /proc on a loaded machine ends.
   */
  async function killAgentAndHaproxy(): Promise<void> {
    const killed = [Number(readFileSync(join(agentDir, 'agent.pid'), 'utf8'))];
    kill(killed[0]);
    for (const id of readdirSync(runDir)) for (const pid of (await haproxyOf(id)).all) killed.push(pid);
    for (const pid of killed.slice(1)) kill(pid);
    await until('the agent and every HAProxy killed to be gone', 10_000, () => !killed.some(pidRunning));
  }

  test("one amphora's HAProxy killed: its agent starts it again, the other is untouched", async () => {
    await allServe();
    const before = await assertOneOfEach();
    const [victim, other] = [...before.masters.keys()];
    kill(before.masters.get(victim)!);
    await allServe();
    const afterKill = await assertOneOfEach();
    assert.notEqual(afterKill.masters.get(victim), before.masters.get(victim), 'a new master');
    assert.equal(afterKill.masters.get(other), before.masters.get(other), 'the other amphora kept its master');
    assert.equal(afterKill.agent, before.agent, 'the same agent did it');
    // The supervisor logs the restart once it is recorded, which may be after HAProxy serves again.
    await until('the agent to log the restart', 15_000, () => /haproxy restarted/.test(readFileSync(join(agentDir, 'agent.log'), 'utf8')));
  });

  test('the agent and every HAProxy killed while serve runs: everything serves again', async () => {
    const before = await assertOneOfEach();
    await killAgentAndHaproxy();
    await allServe();
    const again = await assertOneOfEach();
    assert.notEqual(again.agent, before.agent, 'a new agent');
    for (const [id, master] of again.masters) assert.notEqual(master, before.masters.get(id));
    // The watchdog says so once the new agent answers, which may be after HAProxy serves again.
    await until('serve to log the restarted agent', 15_000, () => /the local amphora agent runs again/.test(serve.output()));
  });

  test('power loss: serve, agent and every HAProxy killed; the next serve brings every load balancer back', async () => {
    const before = await assertOneOfEach();
    await serve.stop('SIGKILL');
    await killAgentAndHaproxy();
    // No watchdog to bring anything back: every load balancer is down until serve starts.
    for (const lb of lbs) await assert.rejects(httpGet(lb.url, 1000), `${lb.url} is down`);
    serve = startFulcrum(['serve'], env);
    started.push(serve);
    base = await serve.address;
    await allServe();
    const again = await assertOneOfEach();
    assert.notEqual(again.agent, before.agent);
    for (const lb of lbs) assert.equal((await call(base, 'GET', `/v2/lbaas/loadbalancers/${lb.id}`)).body.loadbalancer.provisioning_status, 'ACTIVE');
  });
});
