// Per-source protection settings (src/model/protection.ts) and their rendering
// (src/amphora/render/haproxy-protection.ts): layering, range checks, what each listener
// protocol can enforce, and the lines each setting turns into.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkProtectionFor,
  effectiveProtection,
  enforceableProtection,
  NO_PROTECTION,
  parseProtection,
  protectionProblem,
} from '../../src/model/protection.ts';
import { renderHaproxyConfig } from '../../src/amphora/render/haproxy-config.ts';
import { amphoraContext, graph, listener, loadBalancer, member, pool } from '../helpers/graph-builder.ts';

describe('protection settings', () => {
  test('later layers win key by key; null switches a limit off; undefined leaves it', () => {
    const s = effectiveProtection(
      { requests_per_second_per_source: 10, concurrent_connections_per_source: 5 },
      { requests_per_second_per_source: 20, action: 'tarpit' },
      { concurrent_connections_per_source: null, burst: undefined },
    );
    assert.deepEqual(s, { ...NO_PROTECTION, requests_per_second_per_source: 20, action: 'tarpit', concurrent_connections_per_source: null });
    assert.deepEqual(effectiveProtection(), NO_PROTECTION);
  });

  test('ranges, types, unknown keys and actions are refused with a reason', () => {
    assert.equal(protectionProblem({ requests_per_second_per_source: 1, burst: 0, action: 'reject' }), null);
    assert.match(protectionProblem({ requests_per_second_per_source: 0 })!, /from 1 to 1000000 or null/);
    assert.match(protectionProblem({ burst: null })!, /burst must be an integer from 0/);
    assert.match(protectionProblem({ concurrent_connections_per_source: 2.5 })!, /concurrent_connections_per_source/);
    assert.match(protectionProblem({ action: 'drop' })!, /action must be one of reject, tarpit, deny_429/);
    assert.match(protectionProblem({ rate: 1 })!, /'rate' is not a protection setting/);
    assert.match(protectionProblem([])!, /must be an object/);
    assert.throws(() => parseProtection({ burst: -1 }, 'flavor protection'), (e: Error & { status: number }) => e.status === 400 && /flavor protection/.test(e.message));
  });

  test('UDP and SCTP take no protection; TCP and passthrough take connection limits and reject only', () => {
    for (const protocol of ['UDP', 'SCTP']) assert.throws(() => checkProtectionFor(protocol, {}), /not supported on/);
    for (const protocol of ['TCP', 'HTTPS']) {
      assert.doesNotThrow(() => checkProtectionFor(protocol, { concurrent_connections_per_source: 1, action: 'reject' }));
      assert.throws(() => checkProtectionFor(protocol, { requests_per_second_per_source: 1 }), /requests_per_second_per_source/);
      assert.throws(() => checkProtectionFor(protocol, { action: 'tarpit' }), /action tarpit/);
    }
    for (const protocol of ['HTTP', 'TERMINATED_HTTPS']) assert.doesNotThrow(() => checkProtectionFor(protocol, { requests_per_second_per_source: 1, action: 'tarpit' }));
    const defaults = effectiveProtection({ requests_per_second_per_source: 5, concurrent_connections_per_source: 3, action: 'deny_429' });
    assert.deepEqual(enforceableProtection('TCP', defaults), { ...defaults, requests_per_second_per_source: null, action: 'reject' }, 'defaults apply where they can');
    assert.deepEqual(enforceableProtection('UDP', defaults), NO_PROTECTION);
  });
});

describe('protection rendering', () => {
  const render = (over: Parameters<typeof listener>[0], ctx = {}) => {
    const p = pool({ members: [member()] });
    const l = listener({ default_pool_id: p.id, ...over });
    return renderHaproxyConfig(graph(loadBalancer(), [l], [p]), amphoraContext(ctx)).split('\n').map((x) => x.trim());
  };

  test('nothing set: no stick table, but the slow-client defences are there', () => {
    const lines = render({});
    assert.ok(!lines.some((l) => l.startsWith('stick-table') || l.includes('track-sc0')));
    assert.ok(lines.includes('timeout http-request 10000'));
    assert.ok(lines.includes('tune.http.maxhdr 100') && lines.includes('tune.bufsize 16384'));
  });

  test('the request threshold is rate plus burst; connection limits reject before any request rule', () => {
    const lines = render({ protection: { requests_per_second_per_source: 20, burst: 7, concurrent_connections_per_source: 4 } });
    const deny = lines.indexOf('http-request deny deny_status 429 hdr Retry-After 1 if { sc_http_req_rate(0) gt 27 }');
    const track = lines.indexOf('tcp-request connection track-sc0 src');
    const conn = lines.indexOf('tcp-request connection reject if { sc_conn_cur(0) gt 4 }');
    assert.ok(track > 0 && conn > track && deny > conn, lines.join('\n'));
    assert.ok(lines.includes('http-request sc-inc-gpc(2,0) if { sc_http_req_rate(0) gt 27 }'), 'refusals are counted per source');
  });

  test('allowed_cidrs refuse before a source is tracked', () => {
    const lines = render({ allowed_cidrs: ['10.0.0.0/8', '2001:db8::/32'], protection: { concurrent_connections_per_source: 4 } });
    assert.ok(lines.indexOf('tcp-request connection reject unless allowed_cidr') < lines.indexOf('tcp-request connection track-sc0 src'));
    assert.ok(lines.includes('acl allowed_cidr src 10.0.0.0/8 2001:db8::/32'), 'both families in one list');
  });

  test('the listener\'s short client timeout bounds the request-header timeout', () => {
    assert.ok(render({ timeout_client_data: 2000 }).includes('timeout http-request 2000'));
    assert.ok(render({ timeout_client_data: 0 }).includes('timeout http-request 10000'));
  });

  test('operator defaults reach every listener unless its own settings switch them off', () => {
    const ctx = { protectionDefaults: { new_connections_per_second_per_source: 50 } };
    assert.ok(render({}, ctx).includes('tcp-request connection reject if { sc_conn_rate(0) gt 50 }'));
    assert.ok(!render({ protection: { new_connections_per_second_per_source: null } }, ctx).some((l) => l.includes('sc_conn_rate')));
  });

  test('bad operator defaults are a configuration error, not a rendered file', () => {
    assert.throws(() => render({}, { protectionDefaults: { burst: -3 } }), /protectionDefaults burst/);
  });
});
