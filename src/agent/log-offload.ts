// Forwards every amphora's log messages to an operator's syslog collector, as Octavia's log
// offloading does: UDP (one datagram per message) or TCP (RFC 6587 octet counting for RFC 5424,
// a line feed after each RFC 3164 message), reconnecting after a failure. While a TCP collector
// is away the newest messages wait in a bounded queue; older ones are dropped and counted.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { formatSyslog, type SyslogFormat, type SyslogMessage } from './syslog-message.ts';

export interface LogOffloadTarget {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
  format: SyslogFormat;
}

const QUEUE_LIMIT = 10_000;
const RECONNECT_MS = 1000;

/** `udp://host:port` or `tcp://host:port`; null for an empty value; throws a sentence otherwise. */
export function parseOffloadTarget(value: string, format: string): LogOffloadTarget | null {
  if (value === '') return null;
  const m = /^(udp|tcp):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new Error(`must be udp://host:port or tcp://host:port, got ${JSON.stringify(value)}`);
  if (format !== 'rfc5424' && format !== 'rfc3164') throw new Error(`the syslog format must be rfc5424 or rfc3164, got ${JSON.stringify(format)}`);
  return { protocol: m[1] as 'udp' | 'tcp', host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]), format };
}

export class LogOffload {
  private udp: UdpSocket | null = null;
  private tcp: Socket | null = null;
  private connected = false;
  private queue: Buffer[] = [];
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  /** Messages dropped because the collector was away and the queue full. */
  dropped = 0;

  constructor(readonly target: LogOffloadTarget) {}

  send(message: SyslogMessage, host: string): void {
    if (this.closed) return;
    const text = formatSyslog(message, host, this.target.format);
    if (this.target.protocol === 'udp') {
      this.udp ??= this.openUdp();
      this.udp.send(text, this.target.port, this.target.host);
      return;
    }
    const frame = this.target.format === 'rfc5424' ? `${Buffer.byteLength(text)} ${text}` : `${text}\n`;
    this.queue.push(Buffer.from(frame));
    if (this.queue.length > QUEUE_LIMIT) {
      this.queue.shift();
      this.dropped++;
    }
    if (this.connected) this.drain();
    else if (!this.tcp && !this.retry) this.connectTcp();
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.udp?.close();
    this.tcp?.destroy();
  }

  private openUdp(): UdpSocket {
    const socket = createSocket(this.target.host.includes(':') ? 'udp6' : 'udp4');
    // A collector that is not listening answers with ICMP errors: those are no reason to crash.
    socket.on('error', () => {});
    socket.unref();
    return socket;
  }

  private connectTcp(): void {
    const socket = connect({ host: this.target.host, port: this.target.port });
    this.tcp = socket;
    socket.unref();
    socket.on('connect', () => {
      this.connected = true;
      this.drain();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.connected = false;
      this.tcp = null;
      if (this.closed) return;
      this.retry = setTimeout(() => {
        this.retry = null;
        if (this.queue.length > 0) this.connectTcp();
      }, RECONNECT_MS);
      this.retry.unref();
    });
  }

  private drain(): void {
    if (!this.tcp || this.queue.length === 0) return;
    const batch = Buffer.concat(this.queue);
    this.queue = [];
    this.tcp.write(batch);
  }
}
