// What listener protection costs and what it buys, on configs rendered by Fulcrum's renderer and
// served by real HAProxy on loopback:
//
// 1. Throughput: two HAProxys from the same graph, one without protection and one with every
//    per-source limit on (set high enough never to refuse, so every request pays for the
//    tracking and the checks), loaded side by side for the same seconds by keep-alive clients
//    from several source addresses (each load in its own process, bench/protection-load.ts). Both see the same neighbours on a shared box, so the ratio
//    of their requests/s is the cost of protection. Medians over the rounds; target ≥ 0.9×.
// 2. A legitimate client (127.0.0.72, 10 req/s, a new connection per request) against the
//    protected listener (20 req/s per source): latency p50/p99 and success, first alone, then
//    while attackers (127.0.0.80-83, from another process) flood it, in one run.
//
//   node --import tsx bench/protection.ts
//   BENCH_PROTECTION_SECONDS=5 BENCH_PROTECTION_ROUNDS=5 BENCH_PROTECTION_FLOOD=1000
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderHaproxy } from '../src/amphora/render/haproxy-config.ts';
import type { ProtectionOverrides } from '../src/model/protection.ts';
import { amphoraContext, graph, listener, loadBalancer, member, pool } from '../test/helpers/graph-builder.ts';
import { getFrom, paced, percentile, type Outcome } from '../test/helpers/source-traffic.ts';
import { fmt, intFromEnv, table } from './lib.ts';
import { cpuMs } from './dataplane-lib.ts';

const SECONDS = intFromEnv('BENCH_PROTECTION_SECONDS', 5);
const ROUNDS = intFromEnv('BENCH_PROTECTION_ROUNDS', 5);
const FLOOD = intFromEnv('BENCH_PROTECTION_FLOOD', 1000);
const CLIENTS = 8;
const LEGIT = '127.0.0.72';
const ATTACKERS = ['127.0.0.80', '127.0.0.81', '127.0.0.82', '127.0.0.83'];
const NEVER_REFUSES: ProtectionOverrides = {
  requests_per_second_per_source: 1_000_000,
  concurrent_connections_per_source: 1_000_000,
  new_connections_per_second_per_source: 1_000_000,
};

const LOAD_SCRIPT = fileURLToPath(new URL('./protection-load.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fulcrum-bench-protection-'));
const children: ChildProcess[] = [];

async function startBackend(): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** HAProxy serving `vip:port` → the backend, with `protection` on its listener. */
async function startHaproxy(name: string, vip: string, port: number, backendPort: number, protection: ProtectionOverrides): Promise<{ url: string; pid: number }> {
  const dir = join(root, name);
  mkdirSync(join(dir, 'run'), { recursive: true });
  const p = pool({ members: [member({ address: '127.0.0.1', protocol_port: backendPort })] });
  const l = listener({ protocol_port: port, default_pool_id: p.id, protection });
  const ctx = amphoraContext({ root: dir, vipAddress: vip, log: { kind: 'none' } });
  const { config } = renderHaproxy(graph(loadBalancer({ vip_address: vip }), [l], [p]), ctx);
  writeFileSync(ctx.paths.serverStateFile, '1\n');
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(path, config);
  const child = spawn('haproxy', ['-db', '-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://${vip}:${port}/`;
  for (let i = 0; i < 100; i++) {
    if ((await getFrom(url, '127.0.0.1', 500)).status === 200) return { url, pid: child.pid! };
    if (child.exitCode !== null) throw new Error(`haproxy ${name} exited: ${stderr}`);
    await sleep(50);
  }
  throw new Error(`haproxy ${name} did not serve: ${stderr}`);
}

/** Runs bench/protection-load.ts in its own process and returns its JSON answer. */
function loadProcess<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LOAD_SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`load process exited ${code}: ${out}`))));
  });
}

/** Keep-alive requests from `CLIENTS` loops (each its own source address) for `ms`: requests/s and HAProxy CPU µs per request. */
async function keepAliveLoad(target: { url: string; pid: number }, ms: number): Promise<{ rate: number; cpuUsPerRequest: number }> {
  const cpuBefore = cpuMs(target.pid);
  const { ok, seconds } = await loadProcess<{ ok: number; seconds: number }>(['keepalive', target.url, String(CLIENTS), String(ms)]);
  return { rate: ok / seconds, cpuUsPerRequest: ((cpuMs(target.pid) - cpuBefore) * 1000) / Math.max(ok, 1) };
}

function median(values: number[]): number {
  return percentile(values, 50);
}

function legitSummary(label: string, results: Outcome[]): string[] {
  const ok = results.filter((r) => r.status === 200);
  const latencies = ok.map((r) => r.latencyMs);
  return [label, String(results.length), `${fmt((100 * ok.length) / Math.max(results.length, 1))} %`, fmt(percentile(latencies, 50), 2), fmt(percentile(latencies, 99), 2)];
}

async function main(): Promise<void> {
  const backend = await startBackend();
  try {
    const plain = await startHaproxy('plain', '127.0.0.61', 18080, backend.port, {});
    const guarded = await startHaproxy('protected', '127.0.0.62', 18080, backend.port, NEVER_REFUSES);
    const limited = await startHaproxy('limited', '127.0.0.63', 18080, backend.port, { requests_per_second_per_source: 20, burst: 0 });

    // 1. Side by side, same seconds.
    const rows: string[][] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    await Promise.all([keepAliveLoad(plain, 500), keepAliveLoad(guarded, 500)]);
    for (let round = 1; round <= ROUNDS; round++) {
      // Which load process starts first alternates, so a head start favours neither.
      const ms = SECONDS * 1000;
      const [a, b] = round % 2
        ? await Promise.all([keepAliveLoad(plain, ms), keepAliveLoad(guarded, ms)])
        : (await Promise.all([keepAliveLoad(guarded, ms), keepAliveLoad(plain, ms)])).reverse();
      ratios.push(b.rate / a.rate);
      cpuRatios.push(b.cpuUsPerRequest / a.cpuUsPerRequest);
      rows.push([String(round), fmt(a.rate, 0), fmt(b.rate, 0), fmt(b.rate / a.rate, 3), fmt(a.cpuUsPerRequest, 1), fmt(b.cpuUsPerRequest, 1), fmt(b.cpuUsPerRequest / a.cpuUsPerRequest, 3)]);
    }
    rows.push(['median', '', '', fmt(median(ratios), 3), '', '', fmt(median(cpuRatios), 3)]);
    console.log(`\nThroughput, ${CLIENTS} keep-alive clients on each HAProxy at once, ${SECONDS} s a round (req/s):`);
    console.log(table(['round', 'req/s plain', 'req/s protected', 'ratio', 'CPU µs/req plain', 'CPU µs/req protected', 'CPU ratio'], rows));
    console.log('(HAProxy CPU per request is read from /proc at 10 ms resolution; the Node clients, not HAProxy, bound req/s on a small box.)');

    // 2. The legitimate client alone, then under a flood.
    const legitUrl = limited.url;
    const quiet = await paced(10, SECONDS * 2000, 20, () => getFrom(legitUrl, LEGIT));
    const perAttacker = FLOOD / ATTACKERS.length;
    const [flood, underFlood] = await Promise.all([
      loadProcess<{ sent: number; skipped: number; refused429: number; served: number; failed: number; seconds: number }>(['flood', legitUrl, ATTACKERS.join(','), String(perAttacker), String(SECONDS * 2000)]),
      // The flood process needs a moment to start sending.
      sleep(500).then(() => paced(10, SECONDS * 2000 - 1000, 20, () => getFrom(legitUrl, LEGIT))),
    ]);
    const sentRate = flood.sent / flood.seconds;
    console.log(`\nLegitimate client, 10 req/s, new connection per request, against 20 req/s per source (latency in ms):`);
    console.log(table(['phase', 'requests', 'success', 'p50', 'p99'], [legitSummary('alone', quiet.results), legitSummary(`flood ${fmt(sentRate, 0)} req/s from ${ATTACKERS.length} sources`, underFlood.results)]));
    console.log(`flood (its own process): ${flood.sent} requests, ${flood.refused429} answered 429 (${fmt((100 * flood.refused429) / Math.max(flood.sent, 1))} %), ${flood.served} served, ${flood.failed} failed; ${flood.skipped} not sent (in-flight cap of the flooding client)`);
  } finally {
    for (const child of children) child.kill('SIGKILL');
    backend.server.closeAllConnections();
    backend.server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
