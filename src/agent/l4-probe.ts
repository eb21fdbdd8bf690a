// One health probe of a UDP or SCTP member, run inside the amphora's namespace (the agent itself
// lives outside it). UDP-CONNECT: a datagram to the member; an ICMP port unreachable (seen as
// ECONNREFUSED on a connected socket) or another error is a failure, silence or an answer a
// success, as Octavia's amphora judges it. TCP: a completed connect is a success. SCTP: an INIT
// answered by an INIT ACK, sent and read over a raw socket by sctp_init_probe.py (Node has no
// raw sockets, and the host kernel may have no SCTP sockets).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { commandFor } from './process-runner.ts';

export type ProbeType = 'UDP-CONNECT' | 'TCP' | 'SCTP';

const SCTP_PROBE = fileURLToPath(new URL('./sctp_init_probe.py', import.meta.url));

// Plain CommonJS for `node -e`, so a probe loads nothing but Node itself.
const PROBE = `
const [type, host, port, timeout] = process.argv.slice(1);
const done = (up) => process.exit(up ? 0 : 1);
setTimeout(() => done(type === 'UDP-CONNECT'), Number(timeout));
if (type === 'UDP-CONNECT') {
  const s = require('dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', () => done(false));
  s.on('message', () => done(true));
  s.connect(Number(port), host, () => s.send('fulcrum-health-check'));
} else {
  const c = require('net').connect({ host, port: Number(port) });
  c.on('connect', () => done(true));
  c.on('error', () => done(false));
}
`;

/** True when the member passed; never throws (a probe that cannot run counts as failed). */
export function probeMember(netns: string | null, type: ProbeType, address: string, port: number, timeoutMs: number): Promise<boolean> {
  const command =
    type === 'SCTP'
      ? commandFor(netns, 'python3', [SCTP_PROBE, address, String(port), String(timeoutMs)])
      : commandFor(netns, process.execPath, ['-e', PROBE, type, address, String(port), String(timeoutMs)]);
  // The agent's own loader options have no business in a probe.
  const { NODE_OPTIONS: _, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(command.file, command.args, { env, timeout: timeoutMs + 5000 }, (err) => resolve(err === null));
  });
}
