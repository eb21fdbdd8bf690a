// Webhook delivery: how many events per second the dispatcher (the flow worker running
// webhook-delivery jobs) delivers to a receiver on loopback, on the embedded database and on
// PostgreSQL, with one webhook that takes every event.
//  record        N events recorded (each its own transaction: the event row, the delivery row and
//                its job), against the same N events with no webhook registered (the event row only)
//  dispatch      the worker started on the N queued deliveries → all of them delivered (signed
//                POSTs answered 204), against the baseline measured in the same run: the same N
//                signed bodies POSTed straight to the receiver with the same concurrency
//                (FULCRUM_WORKER_CONCURRENCY), no database involved
// Each figure is the median of BENCH_WH_RUNS runs.
//
//   node --import tsx bench/webhooks.ts         BENCH_WH_EVENTS=1000 BENCH_WH_RUNS=3 BENCH_SETUPS=pglite,postgres
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, table } from './lib.ts';
import { loadNote, median } from './dataplane-lib.ts';
import { openTestDatabase, type Backend } from '../test/helpers/db.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { openRuntime, startWorker } from '../src/runtime.ts';
import { recordEventNow } from '../src/observability/events.ts';
import { webhookSecretContext } from '../src/observability/webhook-delivery.ts';
import { secretStoreFor } from '../src/certs/secret-store.ts';
import { signature } from '../src/model/webhook-rules.ts';

const EVENTS = intFromEnv('BENCH_WH_EVENTS', 1000);
const RUNS = intFromEnv('BENCH_WH_RUNS', 3);
const CONCURRENCY = intFromEnv('FULCRUM_WORKER_CONCURRENCY', 8);
const PHASE_MAX_MS = 180_000;
const SECRET = 'bench-webhook-secret-0123456789';
const backends = (process.env.BENCH_SETUPS ?? 'pglite,postgres').split(',').filter((b): b is Backend => b === 'pglite' || b === 'postgres');

interface Receiver {
  url: string;
  count: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r = { url: '', count: 0 } as Receiver;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      r.count++;
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

function event(i: number) {
  return { type: 'member.error', projectId: 'bench', loadBalancerId: null, detail: { member_id: randomUUID(), n: i } };
}

/** The same signed POSTs straight to the receiver, `CONCURRENCY` at a time. */
async function directRate(receiver: Receiver): Promise<number> {
  const bodies = Array.from({ length: EVENTS }, (_, i) => JSON.stringify({ event: { id: randomUUID(), ...event(i) } }));
  let next = 0;
  const t0 = performance.now();
  const deadline = Date.now() + PHASE_MAX_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length && Date.now() < deadline) {
        const body = bodies[next++];
        const res = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-fulcrum-signature': signature(SECRET, body) }, body });
        await res.body?.cancel();
      }
    }),
  );
  return (EVENTS * 1000) / (performance.now() - t0);
}

interface Run {
  recordNoHook: number;
  recordOneHook: number;
  dispatch: number;
  direct: number;
}

async function oneRun(backend: Backend, receiver: Receiver): Promise<Run> {
  const testDb = await openTestDatabase(backend);
  const config = loadConfig({}, { secretKey: 'e'.repeat(64), workerConcurrency: CONCURRENCY, jobPollMs: 50, jobLeaseMs: 10_000, computeDriver: 'noop', networkDriver: 'noop', defaultProvider: 'noop' });
  const rt = await openRuntime(config, { migrate: false, database: testDb.database, log: createLogger('silent') });
  const db = rt.database.db;
  try {
    let t0 = performance.now();
    for (let i = 0; i < EVENTS; i++) await recordEventNow(db, event(i));
    const recordNoHook = (EVENTS * 1000) / (performance.now() - t0);

    const id = randomUUID();
    await db
      .insertInto('webhook')
      .values({ id, project_id: 'bench', url: receiver.url, sealed_secret: secretStoreFor(config).seal(SECRET, webhookSecretContext(id)), event_types: JSON.stringify([]) })
      .execute();
    t0 = performance.now();
    for (let i = 0; i < EVENTS; i++) await recordEventNow(db, event(i));
    const recordOneHook = (EVENTS * 1000) / (performance.now() - t0);

    const before = receiver.count;
    const worker = startWorker(rt);
    t0 = performance.now();
    await worker.start();
    const deadline = Date.now() + PHASE_MAX_MS;
    for (;;) {
      const row = await db.selectFrom('webhook_delivery').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'delivered').executeTakeFirstOrThrow();
      if (Number(row.n) >= EVENTS) break;
      if (Date.now() > deadline) throw new Error(`only ${row.n} of ${EVENTS} delivered in ${PHASE_MAX_MS / 1000} s`);
      await sleep(20);
    }
    const dispatch = (EVENTS * 1000) / (performance.now() - t0);
    await worker.stop();
    if (receiver.count - before < EVENTS) throw new Error(`the receiver counted ${receiver.count - before} of ${EVENTS}`);
    const direct = await directRate(receiver);
    return { recordNoHook, recordOneHook, dispatch, direct };
  } finally {
    await rt.closeDataPlane();
    await testDb.close();
  }
}

const receiver = await startReceiver();
try {
  console.log(`-- start: ${loadNote()}`);
  console.log(`== ${EVENTS} events per run, ${RUNS} runs per back end, worker concurrency ${CONCURRENCY}; medians`);
  const rows: string[][] = [];
  for (const backend of backends) {
    const runs: Run[] = [];
    for (let r = 0; r < RUNS; r++) runs.push(await oneRun(backend, receiver));
    const m = (f: (r: Run) => number) => median(runs.map(f));
    rows.push([
      backend,
      fmt(m((r) => r.recordNoHook), 0),
      fmt(m((r) => r.recordOneHook), 0),
      fmt(m((r) => r.dispatch), 0),
      fmt(m((r) => r.direct), 0),
      fmt(m((r) => r.dispatch / r.direct), 2),
    ]);
  }
  console.log(table(['back end', 'record/s (no hook)', 'record/s (1 hook)', 'delivered/s', 'direct POST/s', 'delivered ÷ direct'], rows));
  console.log(`-- end: ${loadNote()}`);
} finally {
  await receiver.close();
}
