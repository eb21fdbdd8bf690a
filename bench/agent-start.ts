// How long a (re)started amphora agent takes to serve: from its spawn to its first answer over
// HTTPS (/1.0/info with the controller's client certificate, polled every 10 ms) and to its first
// heartbeat (UDP, 100 ms interval) for an amphora whose HAProxy it adopts. That time is part of
// the outage when a host's agent and HAProxies are killed. Before: the TypeScript sources through
// tsx, as bin/fulcrum-amphora-agent.js ran them (with tsx's disk cache warm, as on a host that ran
// the agent before; and cold, as after a reboot that emptied /tmp). Now: the same bin running the
// bundle `npm ci` built (src/agent/bundle.ts; built here when missing or stale). Each is measured
// idle and with BENCH_AGENT_START_LOAD busy-loop processes, in turn, in the same run.
//
//   node --import tsx bench/agent-start.ts
//   BENCH_AGENT_START_RUNS=7  BENCH_AGENT_START_LOAD=2 (processes spinning a core each)
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, intFromEnv, table } from './lib.ts';
import { AgentClient } from '../src/amphora/agent-client.ts';
import { ensureAgentBundle } from '../src/agent/bundle.ts';
import { Cleanup, controllerClient, freePort, haproxyConfig, makePki, sleep, startBackend, type Pki } from '../test/integration/agent-harness.ts';

const RUNS = intFromEnv('BENCH_AGENT_START_RUNS', 7);
const LOAD = intFromEnv('BENCH_AGENT_START_LOAD', 2);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/fulcrum-amphora-agent.js');
const SOURCES = join(ROOT, 'src/agent/main.ts');
/** No run may take longer: an agent that never answers fails the bench instead of hanging it. */
const RUN_LIMIT_MS = 60_000;
/** The busy loops end by themselves after this, even if this process dies without killing them. */
const LOAD_LIMIT_MS = 30 * 60_000;

interface Entry {
  label: string;
  args: string[];
  env: Record<string, string>;
}

const ENTRIES: Entry[] = [
  { label: 'sources through tsx, cache warm (before)', args: ['--import', 'tsx/esm', SOURCES], env: {} },
  { label: 'sources through tsx, cache cold', args: ['--import', 'tsx/esm', SOURCES], env: { TSX_DISABLE_CACHE: '1' } },
  { label: 'bundle through the bin (now)', args: [BIN], env: {} },
];

interface Sample {
  answerMs: number;
  heartbeatMs: number;
}

const cleanup = new Cleanup();
const heartbeats = createSocket('udp4');
let lastHeartbeat = 0;
heartbeats.on('message', () => (lastHeartbeat = performance.now()));

async function startOnce(pki: Pki, baseDir: string, port: number, logPath: string, entry: Entry): Promise<Sample> {
  const t0 = performance.now();
  lastHeartbeat = 0;
  const log = openSync(logPath, 'a');
  const child = spawn(process.execPath, entry.args, {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      ...entry.env,
      FULCRUM_AGENT_HOST: '127.0.0.1',
      FULCRUM_AGENT_PORT: String(port),
      FULCRUM_AGENT_BASE_DIR: baseDir,
      FULCRUM_AGENT_CA_CERT: pki.caPath,
      FULCRUM_AGENT_CERT: pki.agentCertPath,
      FULCRUM_AGENT_KEY: pki.agentKeyPath,
    },
  });
  cleanup.processes.add(child);
  const client = new AgentClient({ url: `https://127.0.0.1:${port}`, tls: { ca: pki.ca.certPem, cert: pki.controller.certPem, key: pki.controller.keyPem }, connectTimeoutMs: 1000, timeoutMs: 2000 });
  try {
    let answerMs = 0;
    while (answerMs === 0) {
      if (child.exitCode !== null) throw new Error(`${entry.label}: the agent exited with ${child.exitCode} (see ${logPath})`);
      if (performance.now() - t0 > RUN_LIMIT_MS) throw new Error(`${entry.label}: no answer within ${RUN_LIMIT_MS} ms`);
      answerMs = await client.info().then(
        () => performance.now() - t0,
        () => sleep(10).then(() => 0),
      );
    }
    while (lastHeartbeat === 0) {
      if (performance.now() - t0 > RUN_LIMIT_MS) throw new Error(`${entry.label}: no heartbeat within ${RUN_LIMIT_MS} ms`);
      await sleep(5);
    }
    return { answerMs, heartbeatMs: lastHeartbeat - t0 };
  } finally {
    await client.close();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    cleanup.processes.delete(child);
  }
}

function busyLoops(n: number): ChildProcess[] {
  const loops: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const loop = spawn(process.execPath, ['-e', `const end = Date.now() + ${LOAD_LIMIT_MS}; while (Date.now() < end);`], { stdio: 'ignore' });
    cleanup.processes.add(loop);
    loops.push(loop);
  }
  return loops;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  if (await ensureAgentBundle()) console.log('built the agent bundle (it was missing or older than the sources)');
  const dir = cleanup.tempDir('fulcrum-bench-agent-start-');
  const baseDir = join(dir, 'amphorae');
  const logPath = join(dir, 'agent.log');
  const pki = await makePki(dir);
  const port = await freePort();
  await new Promise<void>((resolve) => heartbeats.bind(0, '127.0.0.1', () => resolve()));

  // One amphora with a running HAProxy and heartbeat settings, as a restarted agent finds them.
  const setup = spawn(process.execPath, [BIN], {
    stdio: ['ignore', openSync(logPath, 'a'), openSync(logPath, 'a')],
    env: { ...process.env, FULCRUM_AGENT_HOST: '127.0.0.1', FULCRUM_AGENT_PORT: String(port), FULCRUM_AGENT_BASE_DIR: baseDir, FULCRUM_AGENT_CA_CERT: pki.caPath, FULCRUM_AGENT_CERT: pki.agentCertPath, FULCRUM_AGENT_KEY: pki.agentKeyPath },
  });
  cleanup.processes.add(setup);
  const client = controllerClient(pki, `https://127.0.0.1:${port}`);
  cleanup.clients.add(client);
  for (let i = 0; ; i++) {
    if (await client.info().then(() => true, () => false)) break;
    if (i > 3000) throw new Error('the set-up agent did not answer');
    await sleep(20);
  }
  const id = 'amp-bench-start';
  await client.registerAmphora(id);
  await client.putHaproxyConfig(id, haproxyConfig({ baseDir, amphoraId: id, frontendPort: await freePort(), servers: [{ name: 's1', port: await startBackend(cleanup, 'be1') }] }));
  await client.putHeartbeatSettings({ key_id: 'bench', key: randomBytes(32).toString('base64'), targets: [{ host: '127.0.0.1', port: heartbeats.address().port }], interval_ms: 100 });
  await client.close();
  cleanup.clients.delete(client);
  const setupExited = once(setup, 'exit');
  setup.kill('SIGTERM');
  await setupExited;

  const results = new Map<string, { idle: Sample[]; load: Sample[] }>(ENTRIES.map((e) => [e.label, { idle: [], load: [] }]));
  for (const condition of ['idle', 'load'] as const) {
    const loops = condition === 'load' ? busyLoops(LOAD) : [];
    try {
      for (let r = 0; r < RUNS; r++) {
        for (const entry of ENTRIES) results.get(entry.label)![condition].push(await startOnce(pki, baseDir, port, logPath, entry));
      }
    } finally {
      for (const loop of loops) loop.kill('SIGKILL');
    }
  }

  const before = results.get(ENTRIES[0].label)!;
  const rows = ENTRIES.map((entry) => {
    const r = results.get(entry.label)!;
    const cell = (condition: 'idle' | 'load', what: keyof Sample) => fmt(median(r[condition].map((s) => s[what])), 0);
    const ratio = (condition: 'idle' | 'load') => fmt(median(r[condition].map((s) => s.answerMs)) / median(before[condition].map((s) => s.answerMs)), 2);
    return [entry.label, cell('idle', 'answerMs'), cell('idle', 'heartbeatMs'), ratio('idle'), cell('load', 'answerMs'), cell('load', 'heartbeatMs'), ratio('load')];
  });
  console.log(`agent start-up: spawn → first HTTPS answer / first heartbeat (ms), median of ${RUNS} runs; load: ${LOAD} busy-loop processes on ${availableParallelism()} cores`);
  console.log(table(['agent', 'idle: answers', 'idle: heartbeat', 'ratio', 'load: answers', 'load: heartbeat', 'ratio'], rows));
} finally {
  heartbeats.close();
  await cleanup.run();
}
