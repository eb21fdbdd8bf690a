// The agent's copy to a syslog collector over TCP: RFC 5424 with octet counting, RFC 3164 one
// message per line, and messages sent while the collector is away delivered once it listens.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { LogOffload } from '../../src/agent/log-offload.ts';
import { splitSyslogFrames, type SyslogMessage } from '../../src/agent/syslog-message.ts';

const servers: Server[] = [];
const offloads: LogOffload[] = [];
after(() => {
  for (const o of offloads) o.close();
  for (const s of servers) s.close();
});

const message = (text: string): SyslogMessage => ({ facility: 16, severity: 6, timeMs: Date.parse('2026-12-06T00:00:00Z'), tag: 'listener-1', text });

async function collector(port = 0): Promise<{ port: number; data: () => Buffer }> {
  let data = Buffer.alloc(0);
  const server = createServer((socket) => socket.on('data', (chunk) => (data = Buffer.concat([data, chunk]))));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, data: () => data };
}

async function until(probe: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('TCP, RFC 5424: octet-counted frames a collector splits back exactly', async () => {
  const c = await collector();
  const offload = new LogOffload({ protocol: 'tcp', host: '127.0.0.1', port: c.port, format: 'rfc5424' });
  offloads.push(offload);
  offload.send(message('first "GET / HTTP/1.1" 200'), 'amp-1');
  offload.send(message('second line é'), 'amp-1');
  await until(() => splitSyslogFrames(c.data()).frames.length === 2, 'two frames');
  assert.deepEqual(splitSyslogFrames(c.data()).frames, [
    '<134>1 2026-12-06T00:00:00.000Z amp-1 listener-1 - - - first "GET / HTTP/1.1" 200',
    '<134>1 2026-12-06T00:00:00.000Z amp-1 listener-1 - - - second line é',
  ]);
  assert.match(c.data().toString(), /^\d+ <134>1 /);
});

test('TCP, RFC 3164: what was sent while the collector was away arrives when it listens', async () => {
  const probe = await collector();
  const port = probe.port;
  await new Promise((resolve) => servers.pop()!.close(resolve));
  const offload = new LogOffload({ protocol: 'tcp', host: '127.0.0.1', port, format: 'rfc3164' });
  offloads.push(offload);
  offload.send(message('sent while away'), 'amp-2');
  await new Promise((r) => setTimeout(r, 300));
  const c = await collector(port);
  await until(() => c.data().toString().includes('sent while away'), 'the queued message');
  assert.equal(c.data().toString(), '<134>Dec  6 00:00:00 amp-2 listener1: sent while away\n');
});
