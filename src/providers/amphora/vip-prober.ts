// The prober of a failover drill: a new connection to the VIP every 10 ms (without waiting for
// the previous one), each bounded by a timeout, from the controller's host. HTTP listeners are
// asked `GET /` and answer anything below 500; other listeners count as serving when the
// connection is accepted.
import { connect } from 'node:net';

import type { ProbeSample } from './drill-outcome.ts';

export interface ProbeTarget {
  address: string;
  port: number;
  http: boolean;
}

export interface ProberOptions {
  intervalMs: number;
  timeoutMs: number;
}

export const DEFAULT_PROBER: ProberOptions = { intervalMs: 10, timeoutMs: 250 };

function probeOnce(target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    let head = '';
    const finish = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const socket = connect({ host: target.address, port: target.port });
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.once('connect', () => {
      if (!target.http) return finish(true);
      const host = target.address.includes(':') ? `[${target.address}]` : target.address;
      socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: fulcrum-drill\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
      if (status) finish(Number(status[1]) < 500);
      else if (head.includes('\r\n')) finish(false);
    });
    socket.once('end', () => finish(false));
  });
}

export class VipProber {
  readonly samples: ProbeSample[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: ProbeTarget,
    private readonly options: ProberOptions = DEFAULT_PROBER,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.#probe(), this.options.intervalMs);
  }

  /** Stops sending and waits for the probes in flight (each ends within its timeout). */
  async stop(): Promise<ProbeSample[]> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await Promise.all(this.#inFlight);
    return this.samples;
  }

  #probe(): void {
    const sentMs = performance.now();
    const probe = probeOnce(this.target, this.options.timeoutMs).then((ok) => {
      this.samples.push({ sentMs, doneMs: performance.now(), ok });
      this.#inFlight.delete(probe);
    });
    this.#inFlight.add(probe);
  }
}
