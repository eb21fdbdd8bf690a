// UDP clients for data-plane tests and benchmarks: one question on a fresh socket (a new flow),
// and a running flow on one socket that counts what it lost and who answered. Bounded: every
// wait has a timeout and a flow stops by itself after `maxDatagrams`.
import dgram from 'node:dgram';
import { isIP } from 'node:net';

/** The answer to one datagram, or null after `timeoutMs`; `localPort` fixes the source port. */
export function udpAsk(host: string, port: number, payload: string, localPort = 0, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', reuseAddr: localPort !== 0 });
    const finish = (answer: string | null) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('message', (m) => finish(m.toString()));
    socket.on('error', () => finish(null));
    socket.bind(localPort, () => socket.send(payload, port, host));
  });
}

export interface FlowResult {
  sent: number;
  answered: number;
  lost: number;
  /** The first word of every answer: the members' names. */
  members: Set<string>;
}

/** Datagrams every `intervalMs` from one source port; answers matched by sequence number. */
export class UdpFlow {
  readonly #socket: dgram.Socket;
  readonly #pending = new Map<number, number>();
  readonly #members = new Set<string>();
  #sent = 0;
  #answered = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopped: FlowResult | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxDatagrams = 2000,
  ) {
    this.#socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.#socket.on('message', (m) => {
      const [member, seq] = m.toString().split(' ');
      if (this.#pending.delete(Number(seq))) {
        this.#answered += 1;
        this.#members.add(member);
      }
    });
  }

  start(intervalMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#socket.bind(0, () => {
        this.#timer = setInterval(() => {
          if (this.#sent >= this.maxDatagrams) return;
          const seq = ++this.#sent;
          this.#pending.set(seq, Date.now());
          this.#socket.send(String(seq), this.port, this.host);
        }, intervalMs);
        resolve();
      });
    });
  }

  /** The member that answered last. */
  member(): string | undefined {
    return [...this.#members].at(-1);
  }

  /** Stops sending, waits a moment for the last answers, closes the socket. */
  async stop(): Promise<FlowResult> {
    if (this.#stopped) return this.#stopped;
    if (this.#timer) clearInterval(this.#timer);
    await new Promise((resolve) => setTimeout(resolve, 300));
    this.#socket.close();
    this.#stopped = { sent: this.#sent, answered: this.#answered, lost: this.#pending.size, members: this.#members };
    return this.#stopped;
  }
}
