// A sender that is given its settings reports every amphora at once, and a supervision event
// makes it report that amphora at once, between regular heartbeats (here an interval far longer
// than the test), with the fault and heal count; an unknown amphora or an unconfigured sender
// sends nothing. Real UDP on loopback.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeartbeatSender } from '../../src/agent/heartbeat-sender.ts';
import { openHeartbeat, type Heartbeat } from '../../src/agent/heartbeat-codec.ts';
import { SupervisionLog } from '../../src/agent/supervision-log.ts';
import { createLogger } from '../../src/observability/logger.ts';

const key = randomBytes(32);
const socket = createSocket('udp4');
const got: Heartbeat[] = [];
socket.on('message', (packet) => got.push(openHeartbeat(packet, (id) => (id === 'k1' ? key : undefined), Date.now(), 10_000).heartbeat));
const sender = new HeartbeatSender(
  { ids: () => ['amp-1'], snapshot: async () => ({ running: false, epoch: null, proxies: [], fault: 'netns_missing', heals: 2 }) },
  createLogger('silent'),
);

after(async () => {
  await sender.stop();
  socket.close();
});

test('a recorded supervision event sends that amphora heartbeat at once', async () => {
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const events = new SupervisionLog();
  events.onRecord = (e) => sender.beatNow(e.amphora_id);
  events.record({ amphora_id: 'amp-1', daemon: 'haproxy', kind: 'exited' });
  await sleep(200);
  assert.equal(got.length, 0, 'not configured yet: nothing sent');

  sender.configure({ key_id: 'k1', key: key.toString('base64'), targets: [{ host: '127.0.0.1', port: socket.address().port }], interval_ms: 60_000 });
  // Configured: every amphora is reported at once, not an interval (a minute here) later.
  const first = Date.now() + 10_000;
  while (got.length === 0 && Date.now() < first) await sleep(20);
  assert.deepEqual(
    got.map((h) => h.amphora_id),
    ['amp-1'],
  );
  got.length = 0;
  events.record({ amphora_id: 'amp-2', daemon: 'haproxy', kind: 'exited' });
  events.record({ amphora_id: 'amp-1', daemon: 'haproxy', kind: 'restart_failed', detail: 'no namespace' });
  const deadline = Date.now() + 10_000;
  while (got.length === 0 && Date.now() < deadline) await sleep(20);
  await sleep(200);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.equal(got[0].amphora_id, 'amp-1');
  assert.equal(got[0].haproxy.running, false);
  assert.equal(got[0].fault, 'netns_missing');
  assert.equal(got[0].heals, 2);
});
