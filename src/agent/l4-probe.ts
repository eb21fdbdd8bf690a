// One health probe of a UDP or SCTP member, run inside the amphora's namespace (the agent itself
// lives outside it). UDP-CONNECT: a datagram to the member; an ICMP port unreachable (seen as
// ECONNREFUSED on a connected socket) or another error is a failure, silence or an answer a
// success, as Octavia's amphora judges it. TCP: a completed connect is a success. HTTP: one
// request on a fresh connection to the member's HTTP port, a success when the status is one
// of the expected codes. SCTP: an INIT answered by an INIT ACK, sent and read over a raw socket
// by sctp_init_probe.py (Node has no raw sockets, and the host kernel may have no SCTP sockets).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { L4HttpCheck, L4Monitor } from '../amphora/render/l4-plan.ts';
import { commandFor } from './process-runner.ts';

const SCTP_PROBE = fileURLToPath(new URL('./sctp_init_probe.py', import.meta.url));

// Plain CommonJS for `node -e`, so a probe loads nothing but Node itself. The HTTP request is
// written by hand: Node's client speaks only HTTP/1.1, and the monitor may ask for 1.0.
const PROBE = `
const [type, host, port, timeout, request, codes] = process.argv.slice(1);
const done = (up) => process.exit(up ? 0 : 1);
setTimeout(() => done(type === 'UDP-CONNECT'), Number(timeout));
if (type === 'UDP-CONNECT') {
  const s = require('dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', () => done(false));
  s.on('message', () => done(true));
  s.connect(Number(port), host, () => s.send('fulcrum-health-check'));
} else {
  const c = require('net').connect({ host, port: Number(port) });
  c.on('error', () => done(false));
  c.on('connect', () => (type === 'HTTP' ? c.write(request) : done(true)));
  let head = '';
  c.on('data', (chunk) => {
    head += chunk.toString('latin1');
    const m = /^HTTP\\/\\d\\.\\d (\\d{3})/.exec(head);
    if (m) done(codes.split(',').includes(m[1]));
    else if (head.includes('\\n') || head.length > 64) done(false);
  });
  c.on('end', () => done(false));
}
`;

/** The request line and headers an HTTP monitor sends; the connection closes after the answer. */
export function httpProbeRequest(check: L4HttpCheck, address: string, port: number): string {
  const lines = [`${check.method} ${check.path} HTTP/${check.version}`];
  if (check.version === '1.1') lines.push(`Host: ${check.host ?? (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`)}`);
  lines.push('User-Agent: fulcrum-health-check', 'Connection: close');
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** True when the member passed; never throws (a probe that cannot run counts as failed). */
export function probeMember(netns: string | null, monitor: Pick<L4Monitor, 'type' | 'timeoutMs' | 'http'>, address: string, port: number): Promise<boolean> {
  const { type, timeoutMs } = monitor;
  const http = type === 'HTTP' && monitor.http ? [httpProbeRequest(monitor.http, address, port), monitor.http.expectedCodes.join(',')] : [];
  const command =
    type === 'SCTP'
      ? commandFor(netns, 'python3', [SCTP_PROBE, address, String(port), String(timeoutMs)])
      : commandFor(netns, process.execPath, ['-e', PROBE, type, address, String(port), String(timeoutMs), ...http]);
  // The agent's own loader options have no business in a probe.
  const { NODE_OPTIONS: _, ...env } = process.env;
  return new Promise((resolve) => {
    execFile(command.file, command.args, { env, timeout: timeoutMs + 5000 }, (err) => resolve(err === null));
  });
}
