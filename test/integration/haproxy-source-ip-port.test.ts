// SOURCE_IP_PORT on a TCP pool, through a real HAProxy 2.6 running the rendered config on
// loopback: the same source address and port always reach the same member, and many source
// ports spread over every member (HAProxy's `balance hash` of address and port).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHaproxy } from '../../src/amphora/render/haproxy-config.ts';
import { freePort } from '../helpers/data-plane.ts';
import { amphoraContext, graph, listener, loadBalancer, member, pool } from '../helpers/graph-builder.ts';

const dir = mkdtempSync(join(tmpdir(), 'fulcrum-sip-port-'));
const servers: net.Server[] = [];
after(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A member answering every connection with its name. */
async function nameServer(name: string): Promise<number> {
  const server = net.createServer((socket) => socket.end(name));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** The member that answers a connection from `localPort`, null when none does, or `in use` when another socket holds that port. */
function ask(port: number, localPort: number): Promise<string | null | 'in use'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localPort, localAddress: '127.0.0.1' });
    let data = '';
    let inUse = false;
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve(inUse ? 'in use' : data || null));
    socket.on('error', (err: NodeJS.ErrnoException) => (inUse = err.code === 'EADDRINUSE'));
  });
}

test('SOURCE_IP_PORT: one source port keeps its member, many ports reach every member', async () => {
  const names = ['a', 'b', 'c'];
  const ports = await Promise.all(names.map(nameServer));
  const p = pool({ protocol: 'TCP', lb_algorithm: 'SOURCE_IP_PORT', members: names.map((n, i) => member({ address: '127.0.0.1', protocol_port: ports[i], name: n })) });
  const port = await freePort();
  const l = listener({ protocol: 'TCP', protocol_port: port, default_pool_id: p.id });
  const ctx = amphoraContext({ root: dir, vipAddress: '127.0.0.1' });
  const { config } = renderHaproxy(graph(loadBalancer({ vip_address: '127.0.0.1' }), [l], [p]), ctx);
  mkdirSync(join(dir, 'run'), { recursive: true });
  writeFileSync(ctx.paths.serverStateFile, '1\n');
  writeFileSync(join(dir, 'haproxy.cfg'), config);
  const child = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      ready = (await ask(port, 0)) !== null;
      if (!ready) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(ready, `haproxy did not start:\n${stderr}`);
    const spread = new Map<string, number>();
    // Below the kernel's ephemeral range (32768 and up here), where other tests' connections
    // take their ports; a port some other socket holds all the same is passed over.
    let local = 10_000 + Math.floor(Math.random() * 20_000);
    let passedOver = 0;
    for (let i = 0; i < 30; i++) {
      local += 11;
      const first = await ask(port, local);
      if (first === 'in use') {
        assert.ok(++passedOver < 100, 'some source port is free');
        i--;
        continue;
      }
      const second = await ask(port, local);
      assert.ok(first, `source port ${local} got an answer`);
      assert.equal(second, first, `source port ${local} reaches the same member twice`);
      spread.set(first, (spread.get(first) ?? 0) + 1);
    }
    assert.deepEqual([...spread.keys()].sort(), names, `30 source ports reach every member: ${JSON.stringify([...spread])}`);
    // Binomial(30, 1/3) falls below 3 with probability < 0.001: a bound a fair hash keeps.
    for (const [name, count] of spread) assert.ok(count >= 3, `${name} got ${count} of 30 source ports`);
  } finally {
    child.kill('SIGTERM');
  }
});
