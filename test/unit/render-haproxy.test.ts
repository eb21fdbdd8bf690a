// haproxy.cfg rendering: golden files for the representative cases (reviewed by hand, regenerate
// with UPDATE_GOLDEN=1), plus the behaviours a golden diff would not explain.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHaproxy, renderHaproxyConfig } from '../../src/amphora/render/haproxy-config.ts';
import { poolUnsupportedByHaproxy, unsupportedByHaproxy } from '../../src/amphora/render/unsupported.ts';
import { statusRegex } from '../../src/amphora/render/haproxy-monitor.ts';
import {
  amphoraContext,
  graph,
  haproxyCases,
  healthMonitor,
  l7policy,
  l7rule,
  listener,
  loadBalancer,
  matchGolden,
  member,
  pool,
} from '../helpers/graph-builder.ts';

describe('golden configs', () => {
  for (const c of haproxyCases()) {
    test(`${c.name}: ${c.covers}`, () => {
      const { config, files } = renderHaproxy(c.graph, c.ctx());
      matchGolden(`${c.name}.haproxy.cfg`, config);
      matchGolden(`${c.name}.files.json`, `${JSON.stringify(files, null, 2)}\n`);
    });
  }
});

function lines(config: string): string[] {
  return config.split('\n').map((l) => l.trim());
}

test('the file list names exactly the files the config references', () => {
  for (const c of haproxyCases()) {
    const ctx = c.ctx();
    const { config, files } = renderHaproxy(c.graph, ctx);
    const referenced = new Set(config.match(new RegExp(`${ctx.paths.certDir}/[^ \n]+`, 'g')) ?? []);
    assert.deepEqual(new Set(files.map((f) => f.path).filter((p) => !p.includes('-sni-'))), referenced, c.name);
    for (const file of files.filter((f) => f.kind === 'crt-list')) {
      for (const pem of file.content.trim().split('\n')) assert.ok(files.some((f) => f.path === pem), `${c.name}: ${pem} listed but not written`);
    }
  }
});

test('rendering is stable: row order in the graph does not change the config', () => {
  for (const c of haproxyCases()) {
    const shuffled = {
      ...c.graph,
      listeners: [...c.graph.listeners].reverse().map((l) => ({ ...l, l7policies: [...l.l7policies].reverse().map((p) => ({ ...p, rules: [...p.rules].reverse() })) })),
      pools: [...c.graph.pools].reverse().map((p) => ({ ...p, members: [...p.members].reverse() })),
    };
    assert.equal(renderHaproxyConfig(shuffled, c.ctx()), renderHaproxyConfig(c.graph, c.ctx()), c.name);
  }
});

describe('L7 policies: first match in position order wins', () => {
  const lb = loadBalancer();
  const api = pool({ members: [member()] });
  const l = listener({
    l7policies: [
      l7policy({ position: 2, action: 'REJECT', rules: [l7rule({ id: 'r-deny', value: '/' })] }),
      l7policy({ id: 'p-pool', position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: api.id, rules: [l7rule({ id: 'r-api', value: '/api' })] }),
    ],
  });
  const config = lines(renderHaproxyConfig(graph(lb, [l], [api]), amphoraContext()));

  test('a REDIRECT_TO_POOL match stops later policies although HAProxy runs use_backend last', () => {
    const setVar = config.indexOf('http-request set-var(txn.l7policy) str(p-pool) if r-api');
    const deny = config.indexOf('http-request deny if !{ var(txn.l7policy) -m found } r-deny');
    assert.ok(setVar >= 0 && deny > setVar, config.join('\n'));
    assert.ok(config.includes(`use_backend ${api.id}:${l.id} if { var(txn.l7policy) -m str p-pool }`));
  });
});

test('a policy is skipped when admin-down, without enabled rules, or redirecting to an admin-down pool', () => {
  const lb = loadBalancer();
  const down = pool({ admin_state_up: false });
  const l = listener({
    l7policies: [
      l7policy({ admin_state_up: false, rules: [l7rule({ id: 'r1' })] }),
      l7policy({ position: 2, rules: [] }),
      l7policy({ position: 3, rules: [l7rule({ id: 'r3', admin_state_up: false })] }),
      l7policy({ position: 4, action: 'REDIRECT_TO_POOL', redirect_pool_id: down.id, rules: [l7rule({ id: 'r4' })] }),
    ],
  });
  const config = renderHaproxyConfig(graph(lb, [l], [down]), amphoraContext());
  assert.doesNotMatch(config, /acl |http-request (deny|set-var)|use_backend|backend /);
});

test('connection_limit: -1 and 0 mean the amphora cap, larger limits are capped', () => {
  const maxconnOf = (limit: number) => {
    const config = renderHaproxyConfig(graph(loadBalancer(), [listener({ connection_limit: limit })], []), amphoraContext({ maxconn: 5000 }));
    return lines(config).filter((l) => l.startsWith('maxconn '));
  };
  assert.deepEqual(maxconnOf(-1), ['maxconn 5000', 'maxconn 5000']);
  assert.deepEqual(maxconnOf(0), ['maxconn 5000', 'maxconn 5000']);
  assert.deepEqual(maxconnOf(100), ['maxconn 5000', 'maxconn 100']);
  assert.deepEqual(maxconnOf(50000), ['maxconn 5000', 'maxconn 5000']);
});

test('expected_codes become a compact status regex', () => {
  assert.equal(statusRegex([200, 201, 202, 203, 204]), '^(20[0-4])$');
  assert.equal(statusRegex([200, 202, 301]), '^(20[02]|301)$');
  assert.equal(statusRegex(Array.from({ length: 200 }, (_, i) => 200 + i)), '^(20[0-9]|21[0-9]|22[0-9]|23[0-9]|24[0-9]|25[0-9]|26[0-9]|27[0-9]|28[0-9]|29[0-9]|30[0-9]|31[0-9]|32[0-9]|33[0-9]|34[0-9]|35[0-9]|36[0-9]|37[0-9]|38[0-9]|39[0-9])$');
  assert.equal(statusRegex([200, 201, 203]), '^(20[013])$');
});

describe('what HAProxy 2.6 cannot serve is refused with a 501', () => {
  const notImplemented = { name: 'LB_ERR_PROVIDER_UNSUPPORTED', status: 501 } as never;

  test('listener protocols', () => {
    for (const protocol of ['HTTP', 'HTTPS', 'TCP', 'TERMINATED_HTTPS', 'PROMETHEUS']) assert.equal(unsupportedByHaproxy({ protocol, l7policies: [] }), null, protocol);
    for (const protocol of ['UDP', 'SCTP']) assert.equal(unsupportedByHaproxy({ protocol, l7policies: [] }), `${protocol} protocol listeners`);
  });

  test('UDP and SCTP listeners and pools are left to nftables, not rendered into haproxy.cfg', () => {
    const p = pool({ protocol: 'UDP', healthMonitor: healthMonitor({ type: 'UDP-CONNECT' }), members: [member()] });
    const l = listener({ protocol: 'UDP', protocol_port: 53, default_pool_id: p.id });
    const config = renderHaproxyConfig(graph(loadBalancer(), [l], [p]), amphoraContext());
    assert.ok(!config.includes(l.id) && !config.includes(p.id), config);
  });

  test('L7 policies on a listener that is not HTTP', () => {
    const l = listener({ protocol: 'TCP', l7policies: [l7policy({ rules: [l7rule()] })] });
    assert.equal(unsupportedByHaproxy(l), 'L7 policies on TCP protocol listeners');
    assert.throws(() => renderHaproxyConfig(graph(loadBalancer(), [l], []), amphoraContext()), notImplemented);
  });

  test('pool algorithms, protocols and monitor types', () => {
    assert.equal(poolUnsupportedByHaproxy(pool({ protocol: 'UDP' })), 'UDP protocol pools');
    assert.equal(poolUnsupportedByHaproxy(pool({ healthMonitor: healthMonitor({ type: 'UDP-CONNECT' }) })), 'UDP-CONNECT health monitors');
    for (const lb_algorithm of ['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP', 'SOURCE_IP_PORT']) assert.equal(poolUnsupportedByHaproxy(pool({ lb_algorithm })), null);
    const p = pool({ healthMonitor: healthMonitor({ type: 'UDP-CONNECT' }) });
    assert.throws(() => renderHaproxyConfig(graph(loadBalancer(), [listener({ default_pool_id: p.id })], [p]), amphoraContext()), notImplemented);
  });

  test('SOURCE_IP_PORT hashes the source address and port together', () => {
    const p = pool({ lb_algorithm: 'SOURCE_IP_PORT', members: [member()] });
    const config = lines(renderHaproxyConfig(graph(loadBalancer(), [listener({ protocol: 'TCP', default_pool_id: p.id })], [p]), amphoraContext()));
    assert.ok(config.includes('balance hash src,concat(:,sess.src_port)'), config.join('\n'));
    assert.ok(config.includes('tcp-request content set-var(sess.src_port) src_port'), config.join('\n'));
  });
});

describe('tenant strings cannot add lines or directives', () => {
  const unsafe = { name: 'LB_ERR_UNSAFE_CONFIG_VALUE', status: 400 } as never;
  const NEWLINE = 'x\n    server evil 1.2.3.4:80';

  function renderWith(parts: { listener?: Parameters<typeof listener>[0]; pool?: Parameters<typeof pool>[0] }): string {
    const p = pool({ members: [member()], ...parts.pool });
    return renderHaproxyConfig(graph(loadBalancer(), [listener({ default_pool_id: p.id, ...parts.listener })], [p]), amphoraContext());
  }
  const withRule = (rule: Parameters<typeof l7rule>[0]) => renderWith({ listener: { l7policies: [l7policy({ rules: [l7rule(rule)] })] } });
  const withPolicy = (policy: Parameters<typeof l7policy>[0]) => renderWith({ listener: { l7policies: [l7policy({ rules: [l7rule()], ...policy })] } });
  const withMonitor = (hm: Parameters<typeof healthMonitor>[0]) => renderWith({ pool: { healthMonitor: healthMonitor(hm) } });

  test('newlines and control characters are refused wherever a tenant string goes', () => {
    const attempts: [string, () => string][] = [
      ['L7 value', () => withRule({ value: NEWLINE })],
      ['L7 value NUL', () => withRule({ value: 'a\u0000b' })],
      ['L7 header key', () => withRule({ type: 'HEADER', key: NEWLINE, value: 'v' })],
      ['L7 cookie key', () => withRule({ type: 'COOKIE', key: 'a)b', value: 'v' })],
      ['L7 DN field', () => withRule({ type: 'SSL_DN_FIELD', key: 'CN) || ', value: 'v' })],
      ['SSL verify result', () => withRule({ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0 || 1' })],
      ['redirect URL', () => withPolicy({ action: 'REDIRECT_TO_URL', redirect_url: `https://a/${NEWLINE}` })],
      ['redirect URL with space', () => withPolicy({ action: 'REDIRECT_TO_URL', redirect_url: 'https://a/ if TRUE' })],
      ['redirect prefix', () => withPolicy({ action: 'REDIRECT_PREFIX', redirect_prefix: `https://a${NEWLINE}` })],
      ['redirect code', () => withPolicy({ action: 'REDIRECT_TO_URL', redirect_url: 'https://a/', redirect_http_code: 200 })],
      ['url_path', () => withMonitor({ url_path: `/${NEWLINE}` })],
      ['url_path with space', () => withMonitor({ url_path: '/ HTTP/1.0' })],
      ['http_method', () => withMonitor({ http_method: 'GET /x HTTP/1.0\r\nX:' })],
      ['expected_codes', () => withMonitor({ expected_codes: `200${NEWLINE}` })],
      ['domain_name', () => withMonitor({ http_version: 1.1, domain_name: 'a.example\r\nX-Evil: 1' })],
      ['cookie_name', () => renderWith({ pool: { session_persistence: { type: 'APP_COOKIE', cookie_name: NEWLINE, persistence_timeout: null, persistence_granularity: null } } })],
      ['tls_ciphers', () => renderWith({ listener: { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'r', tls_ciphers: `AES${NEWLINE}` } })],
      ['tls_versions', () => renderWith({ listener: { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'r', tls_versions: ['TLSv1.2 verify none'] } })],
      ['alpn', () => renderWith({ listener: { protocol: 'TERMINATED_HTTPS', default_tls_container_ref: 'r', alpn_protocols: ['h2,evil'] } })],
      ['allowed_cidrs', () => renderWith({ listener: { allowed_cidrs: ['10.0.0.0/8 0.0.0.0/0'] } })],
      ['member address', () => renderWith({ pool: { members: [member({ address: '10.0.0.1:80 backup' })] } })],
      ['monitor address', () => renderWith({ pool: { healthMonitor: healthMonitor(), members: [member({ monitor_address: '10.0.0.1 port 1' })] } })],
    ];
    for (const [what, render] of attempts) assert.throws(render, unsafe, what);
  });

  test('printable hostile values are rendered as one quoted word on one line', () => {
    const config = withRule({ id: 'r-hostile', type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-T#k', value: `a b'c"d#e\\f$HOME` });
    const acl = config.split('\n').filter((l) => l.includes('acl r-hostile'));
    assert.deepEqual(acl, [`    acl r-hostile 'req.hdr(X-T#k)' -m str -- 'a b'\\''c"d#e\\f$HOME'`]);
    assert.doesNotMatch(config, /server evil/);
  });

  test('a value that looks like an ACL flag is marked as a value with --', () => {
    const config = withRule({ id: 'r-flag', value: '-f' });
    assert.match(config, /acl r-flag path -m beg -- '-f'\n/);
  });
});

test('a graph that contradicts itself (missing pool, TLS listener without certificate) is a bug, not a silent omission', () => {
  assert.throws(() => renderHaproxyConfig(graph(loadBalancer(), [listener({ default_pool_id: 'missing' })], []), amphoraContext()), {
    name: 'LB_ERR_RENDER_INPUT',
    status: 500,
  });
  const l = listener({ l7policies: [l7policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: 'missing', rules: [l7rule()] })] });
  assert.throws(() => renderHaproxyConfig(graph(loadBalancer(), [l], []), amphoraContext()), { status: 500 } as never);
  const noCert = listener({ protocol: 'TERMINATED_HTTPS' });
  assert.throws(() => renderHaproxyConfig(graph(loadBalancer(), [noCert], []), amphoraContext()), { name: 'LB_ERR_RENDER_INPUT' } as never);
});

test('a bad amphora context is an operator error', () => {
  const g = graph(loadBalancer(), [listener()], []);
  const configError = { name: 'LB_ERR_CONFIG', status: 500 } as never;
  const base = amphoraContext();
  assert.throws(() => renderHaproxyConfig(g, { ...base, paths: { ...base.paths, runDir: '/run/x y' } }), configError);
  assert.throws(() => renderHaproxyConfig(g, { ...base, vipAddress: '10.0.0.10\nglobal' }), configError);
  assert.throws(() => renderHaproxyConfig(g, { ...base, maxconn: 0 }), configError);
  assert.throws(() => renderHaproxyConfig(g, { ...base, log: { kind: 'unix', path: 'relative' } }), configError);
  // ACTIVE_STANDBY needs this amphora among the peers (HAProxy's `localpeer`).
  const standby = amphoraContext({ topology: 'ACTIVE_STANDBY' });
  assert.throws(() => renderHaproxyConfig(g, { ...standby, peers: standby.peers.slice(1) }), configError);
});

test("access logs: Octavia's fields per listener, TCP without request line or status, the project taken literally", () => {
  const p = pool({ members: [member()] });
  const http = listener({ default_pool_id: p.id });
  const tcp = listener({ protocol: 'TCP', protocol_port: 5432, default_pool_id: p.id });
  const lb = loadBalancer({ project_id: "50%'off" });
  const config = renderHaproxyConfig(graph(lb, [http, tcp], [p]), amphoraContext({ log: { kind: 'agent', socket: '/run/a/log.sock', ringBytes: 65536 } }));
  const formats = lines(config).filter((l) => l.startsWith('log-format '));
  assert.equal(formats.length, 2);
  assert.ok(formats[0]!.startsWith(`log-format '50%%'\\''off ${lb.id} %f %ci %cp %t %{+Q}r %ST %B %U`), formats[0]);
  assert.ok(formats[1]!.includes(' %t - - %B '), formats[1]);
  assert.ok(lines(config).includes(`log-tag ${http.id}`));
  assert.ok(lines(config).includes('server agent unix@/run/a/log.sock'));
  assert.ok(lines(config).includes('size 65536'));
  const silent = renderHaproxyConfig(graph(lb, [http], [p]), amphoraContext({ log: { kind: 'none' } }));
  assert.ok(!silent.includes('log-format') && !silent.includes('ring '), 'no logging: no format, no ring');
});
