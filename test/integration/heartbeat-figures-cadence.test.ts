// Which heartbeats carry statuses and statistics: the first of each amphora, then every
// FIGURES_EVERY_BEATS-th, and every one sent at once (beatNow, beatBefore), and the one after a
// question HAProxy left unanswered; the others only say the amphora lives, without an epoch, so
// a health manager judges no status by them. The source records what it was asked for; the
// heartbeats are real UDP datagrams on loopback.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FIGURES_EVERY_BEATS, HeartbeatSender } from '../../src/agent/heartbeat-sender.ts';
import { openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { createLogger } from '../../src/observability/logger.ts';

const key = randomBytes(32);
const socket = createSocket('udp4');
const got: Heartbeat[] = [];
socket.on('message', (packet) => got.push(openHeartbeat(packet, (id) => (id === 'k1' ? key : undefined), Date.now(), 10_000).heartbeat));
const asked: { id: string; figures: boolean }[] = [];
/** HAProxy does not answer the question for statistics (a reload under way). */
let unanswered = false;
const sender = new HeartbeatSender(
  {
    ids: () => ['amp-1'],
    snapshot: async (id, _timeoutMs, figures) => {
      asked.push({ id, figures });
      return figures && !unanswered ? { running: true, epoch: 'e1', proxies: [{ p: 'fe', s: 'FRONTEND', st: 'OPEN' }] } : { running: true, epoch: null, proxies: [] };
    },
  },
  createLogger('silent'),
);

after(async () => {
  await sender.stop();
  socket.close();
});

async function settle(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (got.length < count && Date.now() < deadline) await sleep(10);
}

test('statistics go in the first heartbeat, every few after it, and in each one sent at once', async () => {
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  // An interval far longer than the test: only the first tick runs by itself, the rest are called.
  sender.configure({ key_id: 'k1', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: socket.address().port }], interval_ms: 60_000 });
  await settle(1);
  const rounds = 2 * FIGURES_EVERY_BEATS;
  for (let i = 1; i < rounds; i++) await sender.beat();
  await settle(rounds);
  const amp1 = asked.filter((a) => a.id === 'amp-1').map((a) => a.figures);
  assert.equal(amp1.length, rounds);
  assert.deepEqual(
    amp1.map((f, i) => (f ? i : -1)).filter((i) => i >= 0),
    [0, FIGURES_EVERY_BEATS],
    'the first heartbeat and every FIGURES_EVERY_BEATS-th carry statistics',
  );
  const light = got.filter((h) => h.amphora_id === 'amp-1' && h.proxies.length === 0);
  assert.equal(light.length, rounds - 2);
  assert.ok(light.every((h) => h.haproxy.running && h.haproxy.epoch === null), 'a heartbeat without statistics says running, with no epoch');

  // One at once carries them, and the count starts again from it.
  asked.length = 0;
  sender.beatNow('amp-1');
  await sender.beatBefore('amp-1');
  await sleep(100);
  assert.deepEqual(asked, [
    { id: 'amp-1', figures: true },
    { id: 'amp-1', figures: true },
  ]);
  asked.length = 0;
  await sender.beat();
  assert.deepEqual(
    asked.map((a) => a.figures),
    [false],
    'the next regular heartbeat after one sent at once goes without',
  );

  // One sent at once that HAProxy left without statistics: the next regular one asks again.
  unanswered = true;
  sender.beatNow('amp-1');
  await sleep(100);
  unanswered = false;
  asked.length = 0;
  await sender.beat();
  await sender.beat();
  assert.deepEqual(
    asked.map((a) => a.figures),
    [true, false],
    'asked again at the next regular heartbeat, then the count starts over',
  );
});
