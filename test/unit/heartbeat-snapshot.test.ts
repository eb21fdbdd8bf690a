// What one amphora's heartbeat says when HAProxy dies while its statistics are being read: the
// state is taken after the answer, so a heartbeat finished after the supervisor gave up says
// HAProxy is down and why, never running beside no fault. The amphora is a stand-in holding
// just the facts the snapshot reads; the stats socket is a real one that answers when told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Amphora } from '../../src/agent/amphora.ts';
import type { HealFacts } from '../../src/agent/healability.ts';
import { snapshot } from '../../src/agent/heartbeat-snapshot.ts';

test('a heartbeat whose statistics arrive after HAProxy died and was given up says it is down and why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fulcrum-snapshot-'));
  const statsSocket = join(dir, 'stats.sock');
  let asked!: (socket: Socket) => void;
  const request = new Promise<Socket>((resolve) => (asked = resolve));
  const server = createServer((socket) => socket.once('data', () => asked(socket)));
  server.listen(statsSocket);
  await once(server, 'listening');
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const facts: HealFacts = { haproxyRunning: true, haproxyWanted: true, gaveUp: false, netnsMissing: false, configPresent: true, keepalivedGaveUp: false };
  const amphora = {
    heals: 5,
    layout: { statsSocket },
    haproxy: { isRunning: () => facts.haproxyRunning },
    healFacts: () => ({ ...facts }),
    l4: { heartbeatProxies: async () => [] },
  } as unknown as Amphora;

  const beat = snapshot(amphora, 5_000, true);
  const socket = await request;
  // Meanwhile the master is killed and that crash is one too many.
  facts.haproxyRunning = false;
  facts.gaveUp = true;
  socket.end('Pid: 4242\n\n# pxname,svname,status\nfe,FRONTEND,OPEN\n');
  assert.deepEqual(await beat, { running: false, epoch: null, proxies: [], fault: 'gave_up', heals: 5 });
});

test('a heartbeat without statistics asks a running HAProxy nothing; one that does not run is reported in full', async () => {
  const facts: HealFacts = { haproxyRunning: true, haproxyWanted: true, gaveUp: false, netnsMissing: false, configPresent: true, keepalivedGaveUp: false };
  const udp = [{ p: 'udp-listener', s: 'FRONTEND', st: 'OPEN' }];
  const amphora = {
    heals: 1,
    // Nothing listens there: a question to HAProxy would fail and leave the epoch unset anyway,
    // so the L4 reads are what tell asking from not asking.
    layout: { statsSocket: '/nonexistent/stats.sock' },
    haproxy: { isRunning: () => facts.haproxyRunning },
    healFacts: () => ({ ...facts }),
    l4: { heartbeatProxies: async () => udp },
  } as unknown as Amphora;

  assert.deepEqual(await snapshot(amphora, 1_000, false), { running: true, epoch: null, proxies: [], fault: null, heals: 1 });
  assert.deepEqual(await snapshot(amphora, 1_000, true), { running: true, epoch: null, proxies: udp, fault: null, heals: 1 });
  facts.haproxyRunning = false;
  assert.deepEqual(await snapshot(amphora, 1_000, false), { running: false, epoch: null, proxies: udp, fault: null, heals: 1 }, 'statuses follow from a HAProxy that does not run');
});
