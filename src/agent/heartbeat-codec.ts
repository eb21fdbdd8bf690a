// The heartbeat wire format, shared by the agent (sender) and the health manager (receiver).
// Pure: no sockets, no clocks (the caller passes `now`).
//
//   "FHB1" | key id length (1 byte) | key id (ASCII) | HMAC-SHA256 (32 bytes) | deflate(JSON)
//
// The MAC covers everything but itself, key id included, so a packet cannot be moved to
// another key. Everything is checked before the body is inflated, and inflating is bounded,
// so a forged packet costs one HMAC and a small allocation at most.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { constants as zlib, deflateRawSync, inflateRawSync } from 'node:zlib';

const MAGIC = Buffer.from('FHB1', 'ascii');
const MAC_BYTES = 32;
/** Below the largest UDP payload over IPv4 (65507), so one heartbeat is one datagram. */
export const MAX_PACKET_BYTES = 60_000;
/** A body inflating past this is refused (a compressed "bomb" costs nothing to send). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const AMPHORA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_PROXIES = 100_000;

/**
 * A frontend's counters since its HAProxy worker started: [bytes_in, bytes_out, active, total,
 * request_errors, refused_connections, refused_requests]; agents before the refusal counts send five.
 */
export type Counters = [number, number, number, number, number] | [number, number, number, number, number, number, number];

export interface HeartbeatProxy {
  /** HAProxy's pxname (listener id, or the pool's backend name). */
  p: string;
  /** svname: FRONTEND, BACKEND or the member id. */
  s: string;
  /** HAProxy's status. */
  st: string;
  /** Frontends only. */
  c?: Counters;
  /** The row's figures for /metrics (model/proxy-counters.ts), `show stat` column → value; zeros left out. */
  m?: Record<string, number>;
}

export interface Heartbeat {
  amphora_id: string;
  /** Strictly increasing per agent, across agent restarts. */
  seq: number;
  /** Sender's clock, ms since the epoch. */
  ts: number;
  haproxy: {
    running: boolean;
    /** Identifies the HAProxy worker the counters come from (pid and its start time); null when not running. */
    epoch: string | null;
  };
  proxies: HeartbeatProxy[];
  /**
   * Why the agent cannot bring HAProxy back (or reach it) by itself (see healability.ts),
   * absent while all is well or may still heal: the health manager need not wait out its
   * timeout then.
   */
  fault?: string;
  /** Daemons of this amphora the agent's supervision restarted since the agent started. */
  heals?: number;
}

export type RejectReason = 'truncated' | 'oversized' | 'bad_magic' | 'unknown_key' | 'bad_mac' | 'bad_body' | 'stale' | 'replayed' | 'rate_limited' | 'wrong_agent';

export class HeartbeatRejected extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
  }
}

function mac(key: Buffer, signed: Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const part of signed) h.update(part);
  return h.digest();
}

export function encodeHeartbeat(heartbeat: Heartbeat, keyId: string, key: Buffer): Buffer {
  if (!KEY_ID_PATTERN.test(keyId)) throw new Error(`heartbeat key id ${JSON.stringify(keyId)} is not 1-64 of [A-Za-z0-9_.-]`);
  const header = Buffer.concat([MAGIC, Buffer.from([keyId.length]), Buffer.from(keyId, 'ascii')]);
  // The fastest level: an agent compresses a heartbeat per amphora per second, and on these
  // small JSON bodies it is several times cheaper than the default for the same size.
  const body = deflateRawSync(Buffer.from(JSON.stringify(heartbeat), 'utf8'), { level: zlib.Z_BEST_SPEED });
  const packet = Buffer.concat([header, mac(key, [header, body]), body]);
  if (packet.length > MAX_PACKET_BYTES) throw new HeartbeatTooLarge(`heartbeat of amphora ${heartbeat.amphora_id} is ${packet.length} bytes, more than ${MAX_PACKET_BYTES}`);
  return packet;
}

export class HeartbeatTooLarge extends Error {}

/**
 * Encodes the heartbeat; one too large for a datagram (thousands of members) goes without its
 * figures for /metrics (`m`), since liveness and statuses must arrive whatever else does.
 */
export function encodeFitting(heartbeat: Heartbeat, keyId: string, key: Buffer): { packet: Buffer; figuresShed: boolean } {
  try {
    return { packet: encodeHeartbeat(heartbeat, keyId, key), figuresShed: false };
  } catch (err) {
    if (!(err instanceof HeartbeatTooLarge)) throw err;
    const bare = { ...heartbeat, proxies: heartbeat.proxies.map(({ m: _figures, ...p }) => p) };
    return { packet: encodeHeartbeat(bare, keyId, key), figuresShed: true };
  }
}

export interface SignedPacket {
  keyId: string;
  header: Buffer;
  mac: Buffer;
  body: Buffer;
}

/** Splits a datagram without trusting it; throws HeartbeatRejected. */
export function parsePacket(packet: Buffer): SignedPacket {
  if (packet.length > MAX_PACKET_BYTES) throw new HeartbeatRejected('oversized', `${packet.length} bytes`);
  if (packet.length < MAGIC.length + 1) throw new HeartbeatRejected('truncated', `${packet.length} bytes`);
  if (!packet.subarray(0, MAGIC.length).equals(MAGIC)) throw new HeartbeatRejected('bad_magic', 'not a Fulcrum heartbeat');
  const idLength = packet[MAGIC.length];
  const headerLength = MAGIC.length + 1 + idLength;
  if (packet.length < headerLength + MAC_BYTES + 1) throw new HeartbeatRejected('truncated', `${packet.length} bytes`);
  const keyId = packet.subarray(MAGIC.length + 1, headerLength).toString('latin1');
  if (!KEY_ID_PATTERN.test(keyId)) throw new HeartbeatRejected('bad_magic', 'malformed key id');
  return {
    keyId,
    header: packet.subarray(0, headerLength),
    mac: packet.subarray(headerLength, headerLength + MAC_BYTES),
    body: packet.subarray(headerLength + MAC_BYTES),
  };
}

export function verifyPacket(packet: SignedPacket, key: Buffer): boolean {
  return timingSafeEqual(mac(key, [packet.header, packet.body]), packet.mac);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

function validProxy(v: unknown): v is HeartbeatProxy {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  if (!isShortString(p.p, 256) || !isShortString(p.s, 256) || !isShortString(p.st, 64)) return false;
  if (p.m !== undefined && !validFigures(p.m)) return false;
  return p.c === undefined || (Array.isArray(p.c) && (p.c.length === 5 || p.c.length === 7) && p.c.every(isCount));
}

const FIGURE_NAME = /^[a-z0-9_]{1,32}$/;
const MAX_FIGURES = 64;

function validFigures(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  return entries.length <= MAX_FIGURES && entries.every(([k, n]) => FIGURE_NAME.test(k) && isCount(n));
}

/** Inflates and checks the body of a packet whose MAC was verified; throws HeartbeatRejected. */
export function decodeBody(body: Buffer): Heartbeat {
  let value: unknown;
  try {
    value = JSON.parse(inflateRawSync(body, { maxOutputLength: MAX_BODY_BYTES }).toString('utf8'));
  } catch (err) {
    throw new HeartbeatRejected('bad_body', (err as Error).message);
  }
  const hb = value as Partial<Heartbeat> | null;
  const ok =
    typeof hb === 'object' &&
    hb !== null &&
    typeof hb.amphora_id === 'string' &&
    AMPHORA_ID_PATTERN.test(hb.amphora_id) &&
    isCount(hb.seq) &&
    isCount(hb.ts) &&
    typeof hb.haproxy === 'object' &&
    hb.haproxy !== null &&
    typeof hb.haproxy.running === 'boolean' &&
    (hb.haproxy.epoch === null || isShortString(hb.haproxy.epoch, 128)) &&
    Array.isArray(hb.proxies) &&
    hb.proxies.length <= MAX_PROXIES &&
    hb.proxies.every(validProxy) &&
    (hb.fault === undefined || (isShortString(hb.fault, 64) && hb.fault !== '')) &&
    (hb.heals === undefined || isCount(hb.heals));
  if (!ok) throw new HeartbeatRejected('bad_body', 'not a heartbeat');
  return hb as Heartbeat;
}

/**
 * The whole check but the replay test, which needs the receiver's memory: parse, find the
 * key, verify, decode, and refuse a timestamp outside `windowMs` of `now`.
 */
export function openHeartbeat(packet: Buffer, keyFor: (keyId: string) => Buffer | undefined, now: number, windowMs: number): { keyId: string; heartbeat: Heartbeat } {
  const parsed = parsePacket(packet);
  const key = keyFor(parsed.keyId);
  if (!key) throw new HeartbeatRejected('unknown_key', `key ${parsed.keyId}`);
  if (!verifyPacket(parsed, key)) throw new HeartbeatRejected('bad_mac', `key ${parsed.keyId}`);
  const heartbeat = decodeBody(parsed.body);
  if (Math.abs(now - heartbeat.ts) > windowMs) throw new HeartbeatRejected('stale', `sent ${now - heartbeat.ts} ms ago`);
  return { keyId: parsed.keyId, heartbeat };
}
