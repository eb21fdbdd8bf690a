// Syslog as HAProxy's log ring sends it and as the agent forwards it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { announcesServerState, formatSyslog, parseSyslog5424, splitSyslogFrames } from '../../src/agent/syslog-message.ts';

const ACCESS = '<134>1 2026-12-06T02:17:25.746935+00:00 - bbbbbbbb-0000-4000-8000-000000000001 17619 - - proj lb f 127.0.0.1 56300 [06/Dec/2026:02:17:25.746] "GET /foo?x=1 HTTP/1.1" 200 49';

test('an RFC 5424 message from the ring: facility, severity, time, tag (the listener id) and text', () => {
  const m = parseSyslog5424(ACCESS);
  assert.ok(m);
  assert.equal(m.facility, 16);
  assert.equal(m.severity, 6);
  assert.equal(new Date(m.timeMs).toISOString(), '2026-12-06T02:17:25.746Z');
  assert.equal(m.tag, 'bbbbbbbb-0000-4000-8000-000000000001');
  assert.equal(m.text, 'proj lb f 127.0.0.1 56300 [06/Dec/2026:02:17:25.746] "GET /foo?x=1 HTTP/1.1" 200 49');
  const admin = parseSyslog5424('<137>1 2026-12-06T02:20:19.033054+00:00 - haproxy 23427 - - Server b/s1 is DOWN');
  assert.deepEqual([admin?.facility, admin?.severity, admin?.text], [17, 1, 'Server b/s1 is DOWN']);
});

test('what is not RFC 5424 syslog is refused, not guessed at', () => {
  for (const line of ['hello', '<134>Dec  6 02:17:25 host tag: msg', '<999>1 2026-12-06T02:17:25Z - t 1 - - x', '<134>1 not-a-time - t 1 - - x']) {
    assert.equal(parseSyslog5424(line), null, line);
  }
});

test('stream framing: line feeds and octet counts, with the unfinished rest kept', () => {
  const counted = `${Buffer.byteLength('<134>1 a b')} <134>1 a b`;
  const { frames, rest } = splitSyslogFrames(Buffer.from(`first line\n${counted}second\npart`));
  assert.deepEqual(frames, ['first line', '<134>1 a b', 'second']);
  assert.equal(rest.toString(), 'part');
  // An octet count whose message has not fully arrived waits for the rest.
  const partial = splitSyslogFrames(Buffer.from('20 <134>1 short'));
  assert.deepEqual(partial.frames, []);
  assert.equal(partial.rest.toString(), '20 <134>1 short');
  // Multi-byte text is counted in bytes.
  const utf8 = '<134>1 é';
  assert.deepEqual(splitSyslogFrames(Buffer.from(`${Buffer.byteLength(utf8)} ${utf8}`)).frames, [utf8]);
});

test('forwarded messages: RFC 5424 keeps the priority, time and tag; RFC 3164 uses its own header', () => {
  const m = parseSyslog5424(ACCESS)!;
  assert.equal(formatSyslog(m, 'amp-1', 'rfc5424'), `<134>1 2026-12-06T02:17:25.746Z amp-1 bbbbbbbb-0000-4000-8000-000000000001 - - - ${m.text}`);
  assert.equal(formatSyslog(m, 'amp-1', 'rfc3164'), `<134>Dec  6 02:17:25 amp-1 bbbbbbbb000040008000000000000001: ${m.text}`);
});

test("server state announcements: HAProxy's words for a server or backend changing state", () => {
  for (const text of [
    'Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 0 active and 0 backup servers left.',
    'Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 1 active and 0 backup servers online.',
    'Server be/s1 is going DOWN for maintenance. 1 active and 0 backup servers left.',
    'Server be/s1 was DOWN and now enters maintenance.',
    'Backup Server be/s2 is DOWN, reason: Layer4 timeout.',
    'backend be has no server available!',
  ]) {
    assert.equal(announcesServerState(text), true, text);
  }
  for (const text of ['Proxy fe started.', 'Stopping frontend fe in 0 ms.', 'Health check for server be/s1 failed', 'A Server be/s1 is DOWN quoted in a request']) {
    assert.equal(announcesServerState(text), false, text);
  }
});
