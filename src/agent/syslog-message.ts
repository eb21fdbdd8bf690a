// Syslog as HAProxy's log ring sends it to the agent (RFC 5424, one message per line, or with an
// RFC 6587 octet count in front), and as the agent forwards it to an operator's collector (RFC
// 5424 or the older RFC 3164). Pure.

/** Facility local0 carries traffic (access) logs, local1 the administrative messages (haproxy-logging.ts). */
export const ACCESS_FACILITY = 16;
export const ADMIN_FACILITY = 17;
/** Traffic logs are emitted at `info`; the same facility at other levels repeats an admin message. */
export const ACCESS_SEVERITY = 6;

export interface SyslogMessage {
  facility: number;
  severity: number;
  /** Milliseconds since the epoch, from the message's own timestamp. */
  timeMs: number;
  /** RFC 5424 APP-NAME: HAProxy's `log-tag`, the listener id for traffic logs. */
  tag: string;
  text: string;
}

// <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]; HAProxy sends "-" for SD.
const RFC5424 = /^<(\d{1,3})>1 (\S+) \S+ (\S+) \S+ \S+ (?:-|\[.*?\]) ?(.*)$/s;

/** One message, or null when it is not RFC 5424 syslog (it is then dropped, not guessed at). */
export function parseSyslog5424(line: string): SyslogMessage | null {
  const m = RFC5424.exec(line);
  if (!m) return null;
  const pri = Number(m[1]);
  const timeMs = Date.parse(m[2]!);
  if (pri > 191 || Number.isNaN(timeMs)) return null;
  return { facility: pri >> 3, severity: pri & 7, timeMs, tag: m[3]!, text: m[4]!.replace(/[\r\n]+$/, '') };
}

// HAProxy's words when a server's state moves (2.6: "Server be/s1 is DOWN, reason: ...", "... is UP",
// "... is going DOWN for maintenance", "... was DOWN and now enters maintenance") or a backend
// loses its last one ("backend be has no server available!").
const SERVER_STATE = /^(?:Server|Backup Server) \S+\/\S+ (?:is|was) |^backend \S+ has no server available/;

/** Whether an administrative message says a server or backend changed state. */
export function announcesServerState(text: string): boolean {
  return SERVER_STATE.test(text);
}

/**
 * Splits a stream into messages: each either `<len> <msg>` (octet counting) or ends at LF
 * (non-transparent framing). Returns the messages and the unfinished rest.
 */
export function splitSyslogFrames(buffer: Buffer): { frames: string[]; rest: Buffer } {
  const frames: string[] = [];
  let at = 0;
  while (at < buffer.length) {
    let digits = at;
    while (digits < buffer.length && digits - at < 10 && buffer[digits]! >= 0x30 && buffer[digits]! <= 0x39) digits++;
    if (digits > at && digits < buffer.length && buffer[digits] === 0x20) {
      const length = Number(buffer.subarray(at, digits).toString('latin1'));
      const end = digits + 1 + length;
      if (end > buffer.length) break;
      frames.push(buffer.subarray(digits + 1, end).toString('utf8'));
      at = end;
      continue;
    }
    const newline = buffer.indexOf(0x0a, at);
    if (newline === -1) break;
    frames.push(buffer.subarray(at, newline).toString('utf8'));
    at = newline + 1;
  }
  return { frames: frames.filter((f) => f.length > 0), rest: buffer.subarray(at) };
}

export type SyslogFormat = 'rfc5424' | 'rfc3164';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164 has no year or zone: `Mmm dd hh:mm:ss` in UTC, the day space-padded. */
function bsdTimestamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The message as sent to a collector; `host` names the amphora it came from. */
export function formatSyslog(message: SyslogMessage, host: string, format: SyslogFormat): string {
  const pri = `<${message.facility * 8 + message.severity}>`;
  // RFC 3164 tags are at most 32 alphanumeric characters; a UUID tag loses its dashes to fit.
  if (format === 'rfc3164') return `${pri}${bsdTimestamp(message.timeMs)} ${host} ${message.tag.replace(/[^A-Za-z0-9]/g, '').slice(0, 32) || 'haproxy'}: ${message.text}`;
  return `${pri}1 ${new Date(message.timeMs).toISOString()} ${host} ${message.tag.slice(0, 48)} - - - ${message.text}`;
}
