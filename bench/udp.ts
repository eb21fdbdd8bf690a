// UDP through an amphora on the netns compute driver (root): the nftables data plane the agent
// programs against the same echo member reached directly, in one run.
//   datagrams/s   one socket keeping BENCH_UDP_WINDOW datagrams in flight for BENCH_UDP_SECONDS
//                 (one flow: through the VIP it stays on one member), VIP and direct alternating
//   latency       sequential ping-pong, BENCH_UDP_PINGS datagrams, VIP and direct
//   following     member added through the API → the first new flow it answers; member deleted
//                 → the last new flow it answers (probes: a new flow every 5 ms)
//
//   node --import tsx bench/udp.ts      (root; BENCH_UDP_RUNS=5, BENCH_UDP_ROUNDS=5)
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { fmt, intFromEnv, stats, table } from './lib.ts';
import { loadNote } from './dataplane-lib.ts';
import { settleLb, startNetnsBench, type NetnsBench } from './netns-lib.ts';
import { udpAsk } from '../test/helpers/udp.ts';

const RUNS = intFromEnv('BENCH_UDP_RUNS', 5);
const SECONDS = intFromEnv('BENCH_UDP_SECONDS', 3);
const WINDOW = intFromEnv('BENCH_UDP_WINDOW', 32);
const PINGS = intFromEnv('BENCH_UDP_PINGS', 2000);
const ROUNDS = intFromEnv('BENCH_UDP_ROUNDS', 5);
const PORT = 5300;
const MEMBER_PORT = 5353;
/** Bound on one wait for traffic to follow a change. */
const FOLLOW_MAX_MS = 30_000;

/** Datagrams answered per second with `WINDOW` in flight; a lost one is replaced after 200 ms. */
function throughput(host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const sentAt = new Map<number, number>();
    let seq = 0;
    let answered = 0;
    const end = performance.now() + SECONDS * 1000;
    const send = () => {
      if (performance.now() >= end) return;
      seq += 1;
      sentAt.set(seq, performance.now());
      socket.send(String(seq), port, host);
    };
    socket.on('message', (m) => {
      if (!sentAt.delete(Number(m.toString().split(' ')[1]))) return;
      answered += 1;
      send();
    });
    const reaper = setInterval(() => {
      const now = performance.now();
      for (const [s, at] of sentAt) {
        if (now - at > 200) {
          sentAt.delete(s);
          send();
        }
      }
    }, 50);
    socket.bind(0, () => {
      for (let i = 0; i < WINDOW; i++) send();
      setTimeout(() => {
        clearInterval(reaper);
        socket.close();
        resolve(answered / SECONDS);
      }, SECONDS * 1000 + 100);
    });
  });
}

/** Round-trip times (ms) of sequential datagrams on one socket. */
function latencies(host: string, port: number): Promise<number[]> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const out: number[] = [];
    let at = 0;
    let timer: NodeJS.Timeout | null = null;
    const next = () => {
      if (timer) clearTimeout(timer);
      if (out.length >= PINGS) {
        socket.close();
        resolve(out);
        return;
      }
      at = performance.now();
      socket.send(String(out.length), port, host);
      timer = setTimeout(next, 500);
    };
    socket.on('message', () => {
      out.push(performance.now() - at);
      next();
    });
    socket.bind(0, next);
  });
}

/** ms from `change()` until `done(answering member)` holds for a new flow. */
async function follow(vip: string, change: () => Promise<unknown>, done: (member: string | null) => boolean): Promise<number> {
  const t0 = performance.now();
  let settled = false;
  const changed = change().then(() => (settled = true));
  for (;;) {
    const reply = await udpAsk(vip, PORT, 'f', 0, 200);
    if (done(reply ? reply.split(' ')[0] : null)) break;
    if (performance.now() - t0 > FOLLOW_MAX_MS) throw new Error('traffic did not follow the change');
    await sleep(5);
  }
  const ms = performance.now() - t0;
  await changed;
  if (!settled) throw new Error('the change did not settle');
  return ms;
}

let bench: NetnsBench | null = null;
try {
  console.log(`-- start: ${loadNote()}`);
  bench = await startNetnsBench('udp', 'SINGLE', { udpMembers: 3 });
  const { app, net } = bench;
  const created = await app.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: bench.subnetId } });
  const lbId: string = created.body.loadbalancer.id;
  const vip: string = created.body.loadbalancer.vip_address;
  await settleLb(app, lbId);
  const listener = await app.request('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: PORT } });
  await settleLb(app, lbId);
  const pool = await app.request('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.body.listener.id, protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' } });
  const poolId: string = pool.body.pool.id;
  await settleLb(app, lbId);
  const addMember = async (i: number) => {
    const res = await app.request('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address: `${net}.${210 + i}`, protocol_port: MEMBER_PORT, name: `u${i}` } });
    if (res.status !== 201) throw new Error(`member create answered ${res.status}: ${JSON.stringify(res.body)}`);
    await settleLb(app, lbId);
    return res.body.member.id as string;
  };
  await addMember(1);
  const direct = `${net}.211`;
  console.log(`== UDP load balancer ${lbId}, VIP ${vip}:${PORT} → echo member ${direct}:${MEMBER_PORT}; netns prefix ${bench.prefix}`);

  const rates = { vip: [] as number[], direct: [] as number[] };
  for (let r = 0; r < RUNS; r++) {
    rates.direct.push(await throughput(direct, MEMBER_PORT));
    rates.vip.push(await throughput(vip, PORT));
  }
  const lat = { vip: await latencies(vip, PORT), direct: await latencies(direct, MEMBER_PORT) };
  const rv = stats(rates.vip);
  const rd = stats(rates.direct);
  const lv = stats(lat.vip);
  const ld = stats(lat.direct);
  console.log(`\ndatagrams/s (${RUNS} runs of ${SECONDS} s, ${WINDOW} in flight, one flow) and round trip (${PINGS} sequential datagrams):`);
  console.log(
    table(
      ['path', 'dgram/s median', 'min', 'max', 'rtt median ms', 'p90', 'p99'],
      [
        ['direct to member', fmt(rd.median, 0), fmt(rd.min, 0), fmt(rd.max, 0), fmt(ld.median, 3), fmt(ld.p90, 3), fmt(ld.p99, 3)],
        ['through the VIP', fmt(rv.median, 0), fmt(rv.min, 0), fmt(rv.max, 0), fmt(lv.median, 3), fmt(lv.p90, 3), fmt(lv.p99, 3)],
      ],
    ),
  );
  console.log(`VIP / direct: throughput ${fmt(rv.median / rd.median, 2)}x, median round trip ${fmt(lv.median / ld.median, 2)}x`);

  const added: number[] = [];
  const removed: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let newId = '';
    added.push(await follow(vip, async () => (newId = await addMember(2)), (m) => m === 'u2'));
    // Removed: twenty new flows in a row answered by u1 only.
    let streak = 0;
    removed.push(
      await follow(
        vip,
        async () => {
          await app.request('DELETE', `/v2/lbaas/pools/${poolId}/members/${newId}`);
          await settleLb(app, lbId);
        },
        (m) => {
          streak = m === 'u1' ? streak + 1 : 0;
          return streak >= 20;
        },
      ),
    );
  }
  const a = stats(added);
  const d = stats(removed);
  console.log(`\nmember change → new flows follow (${ROUNDS} rounds; API call to the first new flow the added member answers, and to 20 new flows in a row without the removed one):`);
  console.log(
    table(
      ['change', 'median ms', 'min', 'max'],
      [
        ['member added', fmt(a.median), fmt(a.min), fmt(a.max)],
        ['member removed', fmt(d.median), fmt(d.min), fmt(d.max)],
      ],
    ),
  );
  console.log(`-- end: ${loadNote()}`);
} finally {
  await bench?.close();
}
