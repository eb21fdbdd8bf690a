// One amphora's logs: the named pipe its HAProxy writes them to (layout.logPipe) or, with the
// ring transport, the unix socket its log ring connects to (layout.logSocket); the access log kept
// per load balancer (access-log-store.ts), HAProxy's administrative messages in a bounded file,
// and the copy for the operator's collector, if one is configured.
import { execFile } from 'node:child_process';
import { constants, lstatSync, openSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { promisify } from 'node:util';
import type { Logger } from '../observability/logger.ts';
import { AccessLogStore, type AccessLogEntry, type AccessLogQuery } from './access-log-store.ts';
import type { AmphoraLayout } from './layout.ts';
import type { LogOffload } from './log-offload.ts';
import { ProgramMissing } from './errors.ts';
import { BoundedTextLog } from './log-rotation.ts';
import { ACCESS_FACILITY, ACCESS_SEVERITY, ADMIN_FACILITY, announcesServerState, parseSyslog5424, splitSyslogFrames } from './syslog-message.ts';

export interface LogSettings {
  /** Access log bytes on disk per amphora (both files). */
  accessLogBytes: number;
  accessLogRetentionMs: number;
  /** haproxy.log, keepalived.log and the administrative log, each. */
  adminLogBytes: number;
  offload: LogOffload | null;
  /** HAProxy said a server of this amphora changed state: its heartbeat need not wait for the interval. */
  serverStateChanged?: (amphoraId: string) => void;
}

export const DEFAULT_LOG_SETTINGS: LogSettings = { accessLogBytes: 4 * 1024 * 1024, accessLogRetentionMs: 24 * 3600_000, adminLogBytes: 1024 * 1024, offload: null };

/** A connection that sends more than this without a frame boundary is cut off. */
const MAX_PENDING = 64 * 1024;

export class AmphoraLogs {
  readonly access: AccessLogStore;
  private readonly admin: BoundedTextLog;
  private server: Server | null = null;
  private pipe: Socket | null = null;
  private readonly connections = new Set<Socket>();

  constructor(
    private readonly amphoraId: string,
    private readonly layout: AmphoraLayout,
    private readonly settings: LogSettings,
    private readonly log: Logger,
  ) {
    this.access = new AccessLogStore(layout.accessLog, { maxBytes: settings.accessLogBytes, retentionMs: settings.accessLogRetentionMs });
    this.admin = new BoundedTextLog(layout.adminLog, settings.adminLogBytes);
  }

  /**
   * Opens the stored log, reads the pipe and listens on the socket. The pipe a previous agent
   * made is kept, with what HAProxy wrote into it meanwhile; a socket it left is replaced.
   */
  async start(): Promise<void> {
    this.access.open();
    await makeNamedPipe(this.layout.logPipe);
    // Opened for writing too, so the pipe never reads as ended while no HAProxy runs.
    const pipe = new Socket({ fd: openSync(this.layout.logPipe, constants.O_RDWR | constants.O_NONBLOCK), readable: true, writable: false });
    this.consume(pipe);
    this.pipe = pipe;
    rmSync(this.layout.logSocket, { force: true });
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.layout.logSocket, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log.error({ err, amphora_id: this.amphoraId }, 'log socket failed'));
    this.server = server;
  }

  read(query: AccessLogQuery): { last_seq: number; logs: AccessLogEntry[] } {
    return { last_seq: this.access.lastSeq, logs: this.access.read(query) };
  }

  /**
   * Stops reading and listening: what HAProxy writes meanwhile waits in the pipe (or its ring)
   * for the next agent, as much as the pipe holds.
   */
  close(): void {
    this.pipe?.destroy();
    this.pipe = null;
    for (const socket of this.connections) socket.destroy();
    this.server?.close();
    this.server = null;
    this.access.close();
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    this.consume(socket);
    socket.on('close', () => this.connections.delete(socket));
  }

  /** Receives the messages of a stream, the pipe or a ring connection. */
  private consume(stream: Socket): void {
    let pending: Buffer = Buffer.alloc(0);
    stream.on('data', (data) => {
      const { frames, rest } = splitSyslogFrames(pending.length > 0 ? Buffer.concat([pending, data]) : data);
      pending = rest;
      for (const frame of frames) this.receive(frame);
      // A writer that never ends a line: on the pipe its bytes are dropped, a connection is cut.
      if (pending.length > MAX_PENDING) {
        if (stream === this.pipe) pending = Buffer.alloc(0);
        else stream.destroy();
      }
    });
    stream.on('error', (err) => {
      if (stream === this.pipe) this.log.error({ err, amphora_id: this.amphoraId }, 'log pipe failed');
    });
  }

  private receive(frame: string): void {
    const message = parseSyslog5424(frame);
    if (!message) return;
    if (message.facility === ACCESS_FACILITY && message.severity === ACCESS_SEVERITY) {
      this.access.append(message.timeMs, message.tag, message.text);
    } else if (message.facility === ADMIN_FACILITY) {
      this.admin.append(`${new Date(message.timeMs).toISOString()} ${message.text}`);
      if (announcesServerState(message.text)) this.settings.serverStateChanged?.(this.amphoraId);
    } else return;
    this.settings.offload?.send(message, this.amphoraId);
  }
}

const execFileAsync = promisify(execFile);

/** Node cannot make a named pipe: coreutils' mkfifo does. Something else at the path is replaced. */
async function makeNamedPipe(path: string): Promise<void> {
  try {
    if (lstatSync(path).isFIFO()) return;
    rmSync(path, { force: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await execFileAsync('mkfifo', ['-m', '600', path]).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new ProgramMissing('mkfifo') : err;
  });
}
