// Cost of access logging on HAProxy throughput: the same rendered haproxy.cfg (one HTTP listener,
// one member) with logging off; with Octavia's access-log fields sent to the agent's receiver
// (src/agent/amphora-logs.ts, in a process of its own as in the agent), which parses every line
// and writes it to the amphora's access log, by each transport (FULCRUM_HAPROXY_LOG_TRANSPORT:
// the named pipe HAProxy inherits, and the log ring forwarded to the receiver's socket); and with
// FULCRUM_CONNECTION_LOGGING=false (the admin log kept, `no log` in the frontend).
// The member is another HAProxy answering 200 itself, so no side is capped by a slow backend.
// All of them run in one run, taking turns round by round (the order alternates), wrk -t1 keep-alive; medians
// over the rounds and their ratio. Also: the share of each logged target's requests whose line
// reached the log (both transports drop lines rather than slow traffic when the receiver falls
// behind), HAProxy's CPU per request, and the receiver's CPU per line: on a shared box these
// explain the req/s figures better than req/s alone.
//
//   node --import tsx bench/access-log.ts          (BENCH_AL_ROUNDS=5 BENCH_AL_SECONDS=5 BENCH_AL_CONNECTIONS=20)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, intFromEnv, table } from './lib.ts';
import { childPids, cpuMs, firstOk, freePort, haproxyCheck, loadNote, median, minimalHaproxyConfig, startHaproxy, startProc, tempDir } from './dataplane-lib.ts';
import { renderHaproxyConfig } from '../src/amphora/render/haproxy-config.ts';
import { amphoraContext, graph, listener, loadBalancer, member, pool } from '../test/helpers/graph-builder.ts';
import { amphoraLayout } from '../src/agent/layout.ts';
import type { LogTarget } from '../src/amphora/render/context.ts';
import { AmphoraLogs } from '../src/agent/amphora-logs.ts';
import { createLogger } from '../src/observability/logger.ts';

const ROUNDS = intFromEnv('BENCH_AL_ROUNDS', 5);
const SECONDS = intFromEnv('BENCH_AL_SECONDS', 5);
const CONNECTIONS = intFromEnv('BENCH_AL_CONNECTIONS', 20);
const AMPHORA = 'bench-amphora';

/** Child mode: the agent's receiver for one amphora, until killed. */
async function receiver(baseDir: string): Promise<void> {
  const layout = amphoraLayout(baseDir, AMPHORA);
  // Large enough to keep every line of the run, so they can be counted.
  const logs = new AmphoraLogs(AMPHORA, layout, { accessLogBytes: 2 * 1024 ** 3, accessLogRetentionMs: 3600_000, adminLogBytes: 1024 ** 2, offload: null }, createLogger('warn'));
  await logs.start();
  console.log('receiver ready');
  process.on('SIGTERM', () => {
    logs.close();
    process.exit(0);
  });
}

function wrk(url: string): Promise<{ rps: number; requests: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--timeout', '2s', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const killer = setTimeout(() => proc.kill('SIGKILL'), (SECONDS + 15) * 1000);
    proc.once('exit', (code) => {
      clearTimeout(killer);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const reqs = /(\d+) requests in/.exec(out);
      if (code !== 0 || !rps || !reqs) return reject(new Error(`wrk failed (${code}):\n${out}`));
      resolve({ rps: Number(rps[1]), requests: Number(reqs[1]) });
    });
  });
}

/** Lines in the access log per listener id (each target has its own listener). */
function countLines(path: string): Map<string, number> {
  const n = new Map<string, number>();
  for (const p of [`${path}.1`, path]) {
    if (!existsSync(p)) continue;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      if (line === '') continue;
      const l = (JSON.parse(line) as { l: string }).l;
      n.set(l, (n.get(l) ?? 0) + 1);
    }
  }
  return n;
}

async function main(): Promise<void> {
  const scratch = tempDir('fulcrum-bench-access-log-');
  try {
    console.log(`-- start: ${loadNote()}`);
    const backendPort = await freePort();
    const backendCfg = join(scratch.dir, 'backend.cfg');
    writeFileSync(backendCfg, minimalHaproxyConfig(backendPort, ['http-request return status 200 content-type text/plain string ok']));
    const backend = startHaproxy(backendCfg);

    const baseDir = join(scratch.dir, 'amphorae');
    const layout = amphoraLayout(baseDir, AMPHORA);
    mkdirSync(layout.runDir, { recursive: true });
    const recv = startProc('receiver', process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'access-log.ts'), 'receiver', baseDir], { detached: true });
    for (let i = 0; i < 200 && !recv.output().includes('receiver ready'); i++) await new Promise((r) => setTimeout(r, 50));
    if (!recv.output().includes('receiver ready')) throw new Error(`the receiver did not start:\n${recv.output()}`);

    const p = pool({ members: [member({ address: '127.0.0.1', protocol_port: backendPort })] });
    const targets: { name: string; url: string; listenerId: string; logged: boolean; workers: () => number[]; stop: () => Promise<void> }[] = [];
    const pipe: LogTarget = { kind: 'agent-pipe', fd: 3 };
    const ring: LogTarget = { kind: 'agent', socket: layout.logSocket, ringBytes: 256 * 1024 };
    const variants: { name: string; dir: string; log: LogTarget; connectionLogging: boolean }[] = [
      { name: 'logging off', dir: 'silent', log: { kind: 'none' }, connectionLogging: true },
      { name: 'access log to the agent, pipe', dir: 'pipe', log: pipe, connectionLogging: true },
      { name: 'access log to the agent, ring', dir: 'ring', log: ring, connectionLogging: true },
      // FULCRUM_CONNECTION_LOGGING=false: the admin log stays, the frontend says `no log`.
      { name: 'connection logging off', dir: 'admin-only', log: pipe, connectionLogging: false },
    ];
    for (const { name, dir: sub, log, connectionLogging } of variants) {
      const port = await freePort();
      const dir = join(scratch.dir, sub);
      mkdirSync(dir, { recursive: true });
      const ctx = amphoraContext({
        vipAddress: '127.0.0.1',
        paths: { runDir: dir, serverStateFile: join(dir, 'servers.state'), certDir: join(dir, 'certs') },
        log,
        connectionLogging,
      });
      const l = listener({ protocol_port: port, default_pool_id: p.id });
      const cfgPath = join(dir, 'haproxy.cfg');
      writeFileSync(cfgPath, renderHaproxyConfig(graph(loadBalancer(), [l], [p]), ctx));
      const check = haproxyCheck(cfgPath);
      if (!check.ok) throw new Error(`${name}: haproxy -c refused the rendered config:\n${check.output}`);
      const haproxy = startHaproxy(cfgPath, log.kind === 'agent-pipe' ? layout.logPipe : undefined);
      const url = `http://127.0.0.1:${port}/bench/path?q=1`;
      await firstOk(url, 10_000, 10);
      targets.push({ name, url, listenerId: l.id, logged: log.kind !== 'none' && connectionLogging, workers: () => haproxy.workerPids(), stop: () => haproxy.stop() });
    }
    await new Promise((r) => setTimeout(r, 500));
    const linesBefore = countLines(layout.accessLog);

    console.log(`wrk -t1 -c${CONNECTIONS} keep-alive, ${SECONDS} s × ${ROUNDS} rounds per target, order alternating; member: HAProxy answering 200`);
    const rps = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const cpuPerRequest = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
    // The receiver runs under `node --import tsx`: its own pid and any children.
    const receiverCpu = () => cpuOf([recv.pid, ...childPids(recv.pid)]);
    const receiverCpuStart = receiverCpu();
    const requests = new Map<string, number>(targets.map((t) => [t.name, 0]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const cpu0 = cpuOf(t.workers());
        const r = await wrk(t.url);
        cpuPerRequest.get(t.name)!.push(((cpuOf(t.workers()) - cpu0) * 1000) / r.requests);
        rps.get(t.name)!.push(r.rps);
        requests.set(t.name, requests.get(t.name)! + r.requests);
        process.stdout.write(`  round ${round + 1} ${t.name}: ${fmt(r.rps, 0)} req/s\n`);
      }
    }
    // wrk's requests include those still in flight when it stopped; give the last lines a moment.
    await new Promise((r) => setTimeout(r, 1500));
    const linesAfter = countLines(layout.accessLog);
    const linesOf = (t: (typeof targets)[number]) => (linesAfter.get(t.listenerId) ?? 0) - (linesBefore.get(t.listenerId) ?? 0);
    const lines = targets.reduce((sum, t) => sum + linesOf(t), 0);
    const receiverUsPerLine = ((receiverCpu() - receiverCpuStart) * 1000) / lines;

    const off = median(rps.get(targets[0]!.name)!);
    console.log('');
    console.log(
      table(
        ['target', 'median req/s', 'min', 'max', 'HAProxy CPU µs/request'],
        targets.map((t) => {
          const xs = rps.get(t.name)!;
          return [t.name, fmt(median(xs), 0), fmt(Math.min(...xs), 0), fmt(Math.max(...xs), 0), fmt(median(cpuPerRequest.get(t.name)!), 1)];
        }),
      ),
    );
    console.log('');
    for (const t of targets.slice(1)) console.log(`ratio ${t.name} / logging off: ${fmt(median(rps.get(t.name)!) / off, 3)}`);
    for (const t of targets.filter((x) => x.logged)) {
      const n = requests.get(t.name)!;
      console.log(`${t.name}: ${linesOf(t)} lines in the access log for ${n} requests (${fmt((linesOf(t) / n) * 100, 1)} %)`);
    }
    console.log(`agent receiver CPU per line: ${fmt(receiverUsPerLine, 1)} µs, both transports together (the agent shares the host's CPUs with HAProxy)`);
    for (const t of targets) await t.stop();
    await backend.stop();
    await recv.stop();
    console.log(`-- end: ${loadNote()}`);
  } finally {
    await scratch.remove();
  }
}

if (process.argv[2] === 'receiver') await receiver(process.argv[3]!);
else await main();
