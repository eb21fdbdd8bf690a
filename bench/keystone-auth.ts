// What Keystone authentication costs: (1) one token validation through Fulcrum's Keystone
// authenticator with and without its verdict cache (median µs, same Keystone, same run), and
// (2) list/show requests/s of `fulcrum serve` (PGlite) without authentication, in keystone mode,
// and in keystone mode with the cache off, each over a real socket. Keystone is the test
// set-up's (test/helpers/keystone.ts: Debian's python3-keystone on a loopback port).
//
//   node --import tsx bench/keystone-auth.ts
//   BENCH_CONCURRENCY=4 BENCH_SECONDS=5 BENCH_LBS=50 BENCH_VALIDATIONS=300
import { createKeystoneAuthenticator } from '../src/auth/keystone.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startKeystone, type TestKeystone } from '../test/helpers/keystone.ts';
import { HEADERS, SUBNET, fmt, intFromEnv, load, settle, startSetup, stats, table, type LoadResult } from './lib.ts';

const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 4);
const SECONDS = intFromEnv('BENCH_SECONDS', 5);
const LBS = intFromEnv('BENCH_LBS', 50);
const VALIDATIONS = intFromEnv('BENCH_VALIDATIONS', 300);
const MAX_READS = 20_000;

function keystoneEnv(ks: TestKeystone, cacheTtlMs: number): Record<string, string> {
  return {
    FULCRUM_AUTH_STRATEGY: 'keystone',
    FULCRUM_KEYSTONE_AUTH_URL: ks.url,
    FULCRUM_KEYSTONE_USERNAME: ks.service.username,
    FULCRUM_KEYSTONE_PASSWORD: ks.service.password,
    FULCRUM_KEYSTONE_PROJECT_NAME: ks.service.projectName,
    FULCRUM_KEYSTONE_CACHE_TTL_MS: String(cacheTtlMs),
    FULCRUM_KEYSTONE_NEGATIVE_CACHE_TTL_MS: String(cacheTtlMs),
  };
}

/** Median and p90 of one validation (sequential), in µs. */
async function validationCost(ks: TestKeystone, token: string, cacheTtlMs: number, count: number) {
  const config = loadConfig(keystoneEnv(ks, cacheTtlMs));
  const auth = createKeystoneAuthenticator(config, createLogger('silent'));
  try {
    // Warm-up: service token, connection, JIT.
    for (let i = 0; i < 20; i++) await auth.authenticate({ 'x-auth-token': token });
    const before = auth.client.requests;
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await auth.authenticate({ 'x-auth-token': token });
      samples.push((performance.now() - t0) * 1000);
    }
    return { ...stats(samples), keystoneRequests: auth.client.requests - before };
  } finally {
    await auth.close();
  }
}

type Mode = 'noauth' | 'keystone (cache)' | 'keystone (no cache)';
type Op = 'list (limit=20)' | 'show';

async function throughput(mode: Mode, ks: TestKeystone, headers: Record<string, string>): Promise<Map<Op, LoadResult>> {
  const env = mode === 'noauth' ? {} : keystoneEnv(ks, mode === 'keystone (cache)' ? 300_000 : 0);
  const setup = await startSetup('pglite', CONCURRENCY, { env, headers });
  console.log(`== ${mode}: ${setup.origin}, pid ${setup.pids.join(', ')}`);
  const c = setup.client;
  const results = new Map<Op, LoadResult>();
  try {
    const ids: string[] = [];
    for (let i = 0; i < LBS; i++) ids.push((await c.expect(201, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: `kb-${i}`, vip_subnet_id: SUBNET } })).loadbalancer.id);
    await settle(c);
    await load({ concurrency: CONCURRENCY, maxRequests: 300, maxMs: 5000, op: async () => void (await c.expect(200, 'GET', '/v2/lbaas/loadbalancers?limit=20')) });
    const run = async (op: Op, fn: (i: number) => Promise<void>) => {
      const r = await load({ concurrency: CONCURRENCY, maxRequests: MAX_READS, maxMs: SECONDS * 1000, op: fn });
      results.set(op, r);
      console.log(`${op.padEnd(16)} ${String(r.count).padStart(6)} requests: ${fmt(r.rps, 0)} req/s, median ${fmt(r.latency.median, 2)} ms`);
    };
    await run('list (limit=20)', async () => void (await c.expect(200, 'GET', '/v2/lbaas/loadbalancers?limit=20')));
    await run('show', async (i) => void (await c.expect(200, 'GET', `/v2/lbaas/loadbalancers/${ids[i % ids.length]}`)));
    return results;
  } finally {
    await setup.stop();
  }
}

const ks = await startKeystone();
try {
  const user = await ks.createProjectUser(['member', 'load-balancer_member'], 'bench');
  const token = (await ks.issueToken(user)).token;

  const cached = await validationCost(ks, token, 300_000, VALIDATIONS * 20);
  const uncached = await validationCost(ks, token, 0, VALIDATIONS);
  console.log(`\nToken validation (sequential, same token; Keystone round trips counted by the client)`);
  console.log(
    table(
      ['', 'validations', 'median µs', 'p90 µs', 'Keystone requests'],
      [
        ['cache', String(cached.n), fmt(cached.median, 1), fmt(cached.p90, 1), String(cached.keystoneRequests)],
        ['no cache', String(uncached.n), fmt(uncached.median, 1), fmt(uncached.p90, 1), String(uncached.keystoneRequests)],
      ],
    ),
  );
  console.log(`no cache / cache (median): ${fmt(uncached.median / cached.median, 0)}x\n`);

  const modes: [Mode, Record<string, string>][] = [
    ['noauth', HEADERS],
    ['keystone (cache)', { 'x-auth-token': token, accept: 'application/json' }],
    ['keystone (no cache)', { 'x-auth-token': token, accept: 'application/json' }],
  ];
  const results = new Map<Mode, Map<Op, LoadResult>>();
  for (const [mode, headers] of modes) results.set(mode, await throughput(mode, ks, headers));
  const base = results.get('noauth')!;
  console.log(`\nAPI reads, fulcrum serve on PGlite, ${CONCURRENCY} concurrent clients, ${LBS} load balancers, at most ${SECONDS} s each`);
  console.log(
    table(
      ['operation', ...modes.map(([m]) => `${m} req/s`), ...modes.slice(1).map(([m]) => `${m} vs noauth`)],
      (['list (limit=20)', 'show'] as Op[]).map((op) => [
        op,
        ...modes.map(([m]) => fmt(results.get(m)!.get(op)!.rps, 0)),
        ...modes.slice(1).map(([m]) => `${fmt(results.get(m)!.get(op)!.rps / base.get(op)!.rps, 2)}x`),
      ]),
    ),
  );
} finally {
  await ks.close();
}
