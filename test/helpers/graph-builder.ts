// Load-balancer graphs and amphora contexts for render tests: builders with the API's defaults
// for every row field, and the catalogue of representative cases that the golden test and the
// `haproxy -c` / `keepalived -t` test both render.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HealthMonitor, L7Policy, L7Rule, LbGraph, ListenerNode, LoadBalancer, Member, PoolNode } from '../../src/model/lb-graph.ts';
import type { AmphoraRenderContext, VrrpContext } from '../../src/amphora/render/context.ts';
import { TLS_DEFAULTS } from '../../src/model/enums.ts';

// Ids are counted per kind and reset per case, so golden files do not depend on case order.
const PREFIX = { lb: 'a', listener: 'b', pool: 'c', member: 'd', monitor: 'e', policy: 'f', rule: '1', amphora: '2' } as const;
let counters: Record<string, number> = {};

export function resetIds(): void {
  counters = {};
}

export function nextId(kind: keyof typeof PREFIX): string {
  counters[kind] = (counters[kind] ?? 0) + 1;
  return `${PREFIX[kind].repeat(8)}-0000-4000-8000-${String(counters[kind]).padStart(12, '0')}`;
}

const CREATED = new Date('2026-01-01T00:00:00Z');
const status = () => ({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE', fault: null, tags: [], created_at: CREATED, updated_at: null });
const PROJECT = '0123456789abcdef0123456789abcdef';

export function loadBalancer(over: Partial<LoadBalancer> = {}): LoadBalancer {
  return {
    ...status(),
    id: nextId('lb'),
    project_id: PROJECT,
    name: 'lb',
    description: null,
    admin_state_up: true,
    provider: 'amphora',
    topology: 'SINGLE',
    vip_address: '10.0.0.10',
    vip_port_id: null,
    vip_subnet_id: null,
    vip_network_id: null,
    vip_qos_policy_id: null,
    flavor_id: null,
    availability_zone: null,
    additional_vips: [],
    ...over,
  };
}

export function listener(over: Partial<ListenerNode> = {}): ListenerNode {
  const protocol = over.protocol ?? 'HTTP';
  const tls = protocol === 'TERMINATED_HTTPS';
  return {
    ...status(),
    id: nextId('listener'),
    project_id: PROJECT,
    load_balancer_id: '',
    name: 'listener',
    description: null,
    admin_state_up: true,
    protocol,
    protocol_port: 80,
    connection_limit: -1,
    default_pool_id: null,
    timeout_client_data: 50000,
    timeout_member_connect: 5000,
    timeout_member_data: 50000,
    timeout_tcp_inspect: 0,
    insert_headers: {},
    allowed_cidrs: [],
    default_tls_container_ref: null,
    sni_container_refs: [],
    client_ca_tls_container_ref: null,
    client_authentication: 'NONE',
    client_crl_container_ref: null,
    tls_ciphers: tls ? TLS_DEFAULTS.ciphers : null,
    tls_versions: tls ? [...TLS_DEFAULTS.versions] : null,
    alpn_protocols: tls ? [...TLS_DEFAULTS.alpn] : null,
    hsts_max_age: null,
    hsts_include_subdomains: false,
    hsts_preload: false,
    l7policies: [],
    ...over,
  };
}

export function pool(over: Partial<PoolNode> = {}): PoolNode {
  return {
    ...status(),
    id: nextId('pool'),
    project_id: PROJECT,
    load_balancer_id: '',
    name: 'pool',
    description: null,
    admin_state_up: true,
    protocol: 'HTTP',
    lb_algorithm: 'ROUND_ROBIN',
    session_persistence: null,
    tls_enabled: false,
    tls_container_ref: null,
    ca_tls_container_ref: null,
    crl_container_ref: null,
    tls_ciphers: null,
    tls_versions: null,
    alpn_protocols: null,
    members: [],
    healthMonitor: null,
    ...over,
  };
}

export function member(over: Partial<Member> = {}): Member {
  return {
    ...status(),
    id: nextId('member'),
    project_id: PROJECT,
    pool_id: '',
    name: 'member',
    admin_state_up: true,
    address: '10.0.1.1',
    protocol_port: 8080,
    weight: 1,
    backup: false,
    subnet_id: null,
    monitor_address: null,
    monitor_port: null,
    vnic_type: 'normal',
    ...over,
  };
}

export function healthMonitor(over: Partial<HealthMonitor> = {}): HealthMonitor {
  const type = over.type ?? 'HTTP';
  const http = type === 'HTTP' || type === 'HTTPS';
  return {
    ...status(),
    id: nextId('monitor'),
    project_id: PROJECT,
    pool_id: '',
    name: 'monitor',
    admin_state_up: true,
    type,
    delay: 5,
    timeout: 3,
    max_retries: 2,
    max_retries_down: 3,
    http_method: http ? 'GET' : null,
    url_path: http ? '/' : null,
    expected_codes: http ? '200' : null,
    http_version: null,
    domain_name: null,
    ...over,
  };
}

export function l7rule(over: Partial<L7Rule> = {}): L7Rule {
  return { id: nextId('rule'), type: 'PATH', compare_type: 'STARTS_WITH', key: null, value: '/api', invert: false, admin_state_up: true, ...over };
}

export function l7policy(over: Partial<L7Policy> = {}): L7Policy {
  return {
    id: nextId('policy'),
    name: 'policy',
    action: 'REJECT',
    redirect_pool_id: null,
    redirect_url: null,
    redirect_prefix: null,
    redirect_http_code: null,
    position: 1,
    admin_state_up: true,
    rules: [],
    ...over,
  };
}

/** A graph whose rows point at their load balancer (and members/monitors at their pool). */
export function graph(lb: LoadBalancer, listeners: ListenerNode[], pools: PoolNode[]): LbGraph {
  return {
    loadBalancer: lb,
    listeners: listeners.map((l) => ({ ...l, load_balancer_id: lb.id })),
    pools: pools.map((p) => ({
      ...p,
      load_balancer_id: lb.id,
      members: p.members.map((m) => ({ ...m, pool_id: p.id })),
      healthMonitor: p.healthMonitor && { ...p.healthMonitor, pool_id: p.id },
    })),
  };
}

export const GOLDEN_ROOT = '/run/fulcrum/amphora';

/** A context with every file under `root`; ACTIVE_STANDBY gets the two amphorae as peers and VRRP settings. */
export function amphoraContext(over: Partial<AmphoraRenderContext> & { root?: string } = {}): AmphoraRenderContext {
  const { root = GOLDEN_ROOT, ...rest } = over;
  const standby = rest.topology === 'ACTIVE_STANDBY';
  return {
    amphoraId: '22222222-0000-4000-8000-000000000001',
    topology: 'SINGLE',
    vipAddress: '10.0.0.10',
    additionalVipAddresses: [],
    paths: { runDir: `${root}/run`, serverStateFile: `${root}/run/servers.state`, certDir: `${root}/certs` },
    maxconn: 9980,
    hardStopAfterMs: 30000,
    log: { kind: 'stdout' },
    peers: standby
      ? [
          { name: '22222222-0000-4000-8000-000000000001', address: '10.0.2.1', port: 1025 },
          { name: '22222222-0000-4000-8000-000000000002', address: '10.0.2.2', port: 1025 },
        ]
      : [],
    vrrp: standby ? vrrpContext(root) : null,
    ...rest,
  };
}

export function vrrpContext(root = GOLDEN_ROOT, over: Partial<VrrpContext> = {}): VrrpContext {
  return {
    role: 'MASTER',
    interface: 'eth0',
    virtualRouterId: 1,
    sourceIp: '10.0.2.1',
    peerIps: ['10.0.2.2'],
    trackFile: `${root}/run/haproxy-serving`,
    notifyScript: `${root}/bin/vrrp-notify`,
    haproxyCheckScript: `${root}/bin/haproxy-alive`,
    haproxyPidFile: `${root}/run/haproxy.pid`,
    scriptUser: 'root',
    ...over,
  };
}

export interface RenderCase {
  name: string;
  /** What the case shows; the golden file is reviewed against it. */
  covers: string;
  graph: LbGraph;
  ctx: (root?: string) => AmphoraRenderContext;
}

interface CaseParts {
  graph: LbGraph;
  ctx?: Partial<AmphoraRenderContext>;
  vrrp?: Partial<VrrpContext>;
}

function renderCase(name: string, covers: string, build: () => CaseParts): RenderCase {
  resetIds();
  const { graph, ctx, vrrp } = build();
  return {
    name,
    covers,
    graph,
    ctx: (root = GOLDEN_ROOT) => amphoraContext({ ...ctx, root, ...(vrrp ? { vrrp: vrrpContext(root, vrrp) } : {}) }),
  };
}

const ref = (name: string) => `https://keymanager.example/v1/secrets/${name}`;

/** The representative HAProxy cases (keepalived cases are the ACTIVE_STANDBY ones). */
export function haproxyCases(): RenderCase[] {
  return [
    renderCase('http-basic', 'HTTP listener, round robin, HTTP/1.1 monitor with Host, insert_headers, allowed_cidrs', () => {
      const lb = loadBalancer();
      const p = pool({
        members: [member({ address: '10.0.1.1' }), member({ address: '10.0.1.2', weight: 3 })],
        healthMonitor: healthMonitor({ url_path: '/healthz', http_version: 1.1, domain_name: 'app.example.com', expected_codes: '200' }),
      });
      const l = listener({
        default_pool_id: p.id,
        insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'True', 'X-Forwarded-Proto': 'true', 'X-Real-IP': 'true', 'X-Client-IP': 'false' },
        allowed_cidrs: ['192.0.2.0/24', '198.51.100.7/32', '2001:db8::/32'],
      });
      return { graph: graph(lb, [l], [p]) };
    }),
    renderCase('tcp-leastconn', 'TCP listener, leastconn, SOURCE_IP stick table, TCP monitor, backup/admin-down/weight-0 members, monitor address/port, connection limit, inspect delay', () => {
      const lb = loadBalancer();
      const p = pool({
        protocol: 'TCP',
        lb_algorithm: 'LEAST_CONNECTIONS',
        session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
        healthMonitor: healthMonitor({ type: 'TCP', delay: 10, timeout: 4, max_retries: 3, max_retries_down: 2 }),
        members: [
          member({ address: '10.0.1.1', protocol_port: 5432, monitor_address: '10.0.3.1', monitor_port: 9000 }),
          member({ address: '10.0.1.2', protocol_port: 5432, backup: true }),
          member({ address: '10.0.1.3', protocol_port: 5432, admin_state_up: false }),
          member({ address: '10.0.1.4', protocol_port: 5432, weight: 0 }),
        ],
      });
      const l = listener({ protocol: 'TCP', protocol_port: 5432, default_pool_id: p.id, connection_limit: 100, timeout_tcp_inspect: 2000, timeout_client_data: 600000, timeout_member_data: 600000 });
      return { graph: graph(lb, [l], [p]) };
    }),
    renderCase('https-passthrough', 'HTTPS listener (TLS passthrough), source algorithm, PROXY pool, TLS-HELLO monitor; a PROXYV2 pool with a PING monitor', () => {
      const lb = loadBalancer();
      const p1 = pool({ protocol: 'PROXY', lb_algorithm: 'SOURCE_IP', healthMonitor: healthMonitor({ type: 'TLS-HELLO' }), members: [member({ protocol_port: 443 })] });
      const p2 = pool({ protocol: 'PROXYV2', healthMonitor: healthMonitor({ type: 'PING', delay: 0 }), members: [member({ address: '10.0.1.9', protocol_port: 443 })] });
      const l1 = listener({ protocol: 'HTTPS', protocol_port: 443, default_pool_id: p1.id });
      const l2 = listener({ protocol: 'HTTPS', protocol_port: 8443, default_pool_id: p2.id });
      return { graph: graph(lb, [l1, l2], [p1, p2]) };
    }),
    renderCase('terminated-https', 'TLS termination with default cert + SNI, mandatory client auth with CRL, versions/ciphers/ALPN, HSTS, X-SSL headers, HTTP_COOKIE, re-encrypting pool with client cert/CA/CRL and a version list with a gap, HTTPS monitor, SSL L7 rules', () => {
      const lb = loadBalancer();
      const plain = pool({
        session_persistence: { type: 'HTTP_COOKIE', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
        healthMonitor: healthMonitor({ type: 'HTTPS', url_path: '/status', expected_codes: '200-204' }),
        members: [member({ address: '10.0.1.1' }), member({ address: '10.0.1.2' })],
      });
      const reencrypt = pool({
        tls_enabled: true,
        tls_container_ref: ref('pool-client'),
        ca_tls_container_ref: ref('pool-ca'),
        crl_container_ref: ref('pool-crl'),
        // A gap: HAProxy only takes a range, so TLSv1.1 comes along.
        tls_versions: ['TLSv1', 'TLSv1.2'],
        tls_ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256',
        alpn_protocols: ['h2', 'http/1.1'],
        healthMonitor: healthMonitor({ type: 'HTTPS', expected_codes: '200,202,301' }),
        members: [member({ address: '10.0.1.5', protocol_port: 8443 })],
      });
      const noVerify = pool({ tls_enabled: true, members: [member({ address: '10.0.1.6', protocol_port: 8443 })] });
      const l = listener({
        protocol: 'TERMINATED_HTTPS',
        protocol_port: 443,
        default_pool_id: plain.id,
        default_tls_container_ref: ref('default'),
        sni_container_refs: [ref('sni-a'), ref('sni-b')],
        client_ca_tls_container_ref: ref('client-ca'),
        client_authentication: 'MANDATORY',
        client_crl_container_ref: ref('client-crl'),
        hsts_max_age: 31536000,
        hsts_include_subdomains: true,
        hsts_preload: true,
        insert_headers: Object.fromEntries(
          ['X-Forwarded-Proto', 'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer', 'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After'].map((h) => [h, 'true']),
        ),
        l7policies: [
          l7policy({ position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: reencrypt.id, rules: [l7rule({ type: 'SSL_CONN_HAS_CERT', compare_type: 'EQUAL_TO', value: 'True' }), l7rule({ type: 'SSL_VERIFY_RESULT', compare_type: 'EQUAL_TO', value: '0' })] }),
          l7policy({ position: 2, action: 'REDIRECT_TO_POOL', redirect_pool_id: noVerify.id, rules: [l7rule({ type: 'SSL_DN_FIELD', compare_type: 'ENDS_WITH', key: 'OU', value: 'ops' })] }),
        ],
      });
      return { graph: graph(lb, [l], [plain, reencrypt, noVerify]) };
    }),
    renderCase('terminated-https-sni-only', 'TLS termination with SNI certificates only, optional client auth without CRL, TLSv1.3 only, one ALPN, APP_COOKIE, PROXYV2 pool', () => {
      const lb = loadBalancer();
      const p = pool({
        protocol: 'PROXYV2',
        session_persistence: { type: 'APP_COOKIE', cookie_name: 'JSESSIONID', persistence_timeout: null, persistence_granularity: null },
        members: [member()],
      });
      const l = listener({
        protocol: 'TERMINATED_HTTPS',
        protocol_port: 443,
        default_pool_id: p.id,
        sni_container_refs: [ref('sni-only')],
        client_ca_tls_container_ref: ref('client-ca'),
        client_authentication: 'OPTIONAL',
        tls_versions: ['TLSv1.3'],
        tls_ciphers: 'TLS_AES_256_GCM_SHA384',
        alpn_protocols: ['http/1.1'],
        hsts_max_age: 0,
      });
      return { graph: graph(lb, [l], [p]) };
    }),
    renderCase('l7-policies', 'every L7 action and non-SSL rule type and compare type, invert, position order, skipped policies (admin-down, no rules, all rules admin-down, admin-down pool)', () => {
      const lb = loadBalancer();
      const web = pool({ members: [member()] });
      const api = pool({ members: [member({ address: '10.0.1.2' })] });
      const static_ = pool({ members: [member({ address: '10.0.1.3' })] });
      const down = pool({ admin_state_up: false, members: [member({ address: '10.0.1.4' })] });
      const l = listener({
        default_pool_id: web.id,
        l7policies: [
          // Out of order on purpose: rendering follows position.
          l7policy({ position: 3, action: 'REDIRECT_TO_URL', redirect_url: 'https://www.example.com/moved?a=1&b=%20c', redirect_http_code: 301, rules: [l7rule({ type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'old.example.com' })] }),
          l7policy({ position: 1, action: 'REDIRECT_TO_POOL', redirect_pool_id: api.id, rules: [
            l7rule({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api/' }),
            l7rule({ type: 'HEADER', compare_type: 'CONTAINS', key: 'X-Version', value: 'v2' }),
            l7rule({ type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'beta', value: 'no', invert: true }),
            l7rule({ type: 'HOST_NAME', compare_type: 'ENDS_WITH', value: '.internal', admin_state_up: false }),
          ] }),
          l7policy({ position: 2, action: 'REJECT', rules: [l7rule({ type: 'PATH', compare_type: 'REGEX', value: '^/(admin|debug)(/.*)?$' })] }),
          l7policy({ position: 4, action: 'REDIRECT_PREFIX', redirect_prefix: 'https://static.example.com', redirect_http_code: 308, rules: [l7rule({ type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'png' })] }),
          l7policy({ position: 5, action: 'REDIRECT_TO_POOL', redirect_pool_id: static_.id, rules: [
            l7rule({ type: 'FILE_TYPE', compare_type: 'REGEX', value: '\\.(css|js)$' }),
            l7rule({ type: 'HOST_NAME', compare_type: 'STARTS_WITH', value: 'cdn.' }),
            l7rule({ type: 'HEADER', compare_type: 'REGEX', key: 'User-Agent', value: 'bot|crawler', invert: true }),
          ] }),
          l7policy({ position: 6, action: 'REDIRECT_TO_URL', redirect_url: 'http://example.com/', rules: [l7rule({ type: 'PATH', compare_type: 'CONTAINS', value: 'old' }), l7rule({ type: 'COOKIE', compare_type: 'STARTS_WITH', key: 'session', value: 'legacy-' })] }),
          l7policy({ position: 7, action: 'REJECT', admin_state_up: false, rules: [l7rule({ value: '/disabled-policy' })] }),
          l7policy({ position: 8, action: 'REJECT', rules: [] }),
          l7policy({ position: 9, action: 'REJECT', rules: [l7rule({ value: '/rule-down', admin_state_up: false })] }),
          l7policy({ position: 10, action: 'REDIRECT_TO_POOL', redirect_pool_id: down.id, rules: [l7rule({ value: '/down-pool' })] }),
        ],
      });
      return { graph: graph(lb, [l], [web, api, static_, down]) };
    }),
    renderCase('prometheus', 'PROMETHEUS listener (plain and with TLS), allowed_cidrs on it', () => {
      const lb = loadBalancer();
      const plain = listener({ protocol: 'PROMETHEUS', protocol_port: 9100, allowed_cidrs: ['10.9.0.0/16'] });
      const tls = listener({ protocol: 'PROMETHEUS', protocol_port: 9101, default_tls_container_ref: ref('metrics') });
      return { graph: graph(lb, [tls, plain], []) };
    }),
    renderCase('admin-down', 'disabled listener, admin-down pool (no default backend), admin-down monitor (no checks), HTTP_COOKIE on a TCP backend (ignored)', () => {
      const lb = loadBalancer();
      const downPool = pool({ admin_state_up: false, members: [member()] });
      const quiet = pool({
        protocol: 'TCP',
        session_persistence: { type: 'HTTP_COOKIE', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
        healthMonitor: healthMonitor({ type: 'TCP', admin_state_up: false }),
        members: [member({ monitor_port: 9000 })],
      });
      const off = listener({ admin_state_up: false, protocol_port: 80, default_pool_id: quiet.id, protocol: 'TCP' });
      const noPool = listener({ protocol_port: 81, default_pool_id: downPool.id });
      return { graph: graph(lb, [off, noPool], [downPool, quiet]) };
    }),
    renderCase('lb-admin-down', 'an admin-down load balancer disables every frontend', () => {
      const lb = loadBalancer({ admin_state_up: false });
      const p = pool({ members: [member()] });
      return { graph: graph(lb, [listener({ default_pool_id: p.id })], [p]) };
    }),
    renderCase('active-standby', 'ACTIVE_STANDBY: peers section, localpeer, SOURCE_IP and APP_COOKIE stick tables replicated, log to a unix socket', () => {
      const lb = loadBalancer({ topology: 'ACTIVE_STANDBY' });
      const sticky = pool({ lb_algorithm: 'SOURCE_IP', session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null }, members: [member()] });
      const app = pool({ session_persistence: { type: 'APP_COOKIE', cookie_name: 'SID', persistence_timeout: null, persistence_granularity: null }, members: [member({ address: '10.0.1.2' })] });
      const l1 = listener({ default_pool_id: sticky.id });
      const l2 = listener({ protocol_port: 8080, default_pool_id: app.id });
      return { graph: graph(lb, [l1, l2], [sticky, app]), ctx: { topology: 'ACTIVE_STANDBY', log: { kind: 'unix', path: '/dev/log' } } };
    }),
    renderCase('ipv6', 'IPv6 VIP and members: bracketed addresses, ipv6 stick table, no logging', () => {
      const lb = loadBalancer({ vip_address: '2001:db8::10' });
      const p = pool({
        session_persistence: { type: 'SOURCE_IP', cookie_name: null, persistence_timeout: null, persistence_granularity: null },
        healthMonitor: healthMonitor({ type: 'HTTP', http_method: 'HEAD', expected_codes: '200-299' }),
        members: [member({ address: '2001:db8::1:0', monitor_address: '2001:db8::2:0' }), member({ address: '2001:db8::' })],
      });
      return { graph: graph(lb, [listener({ default_pool_id: p.id, allowed_cidrs: ['2001:db8::/48'] })], [p]), ctx: { vipAddress: '2001:db8::10', log: { kind: 'none' } } };
    }),
    renderCase('agent-logging', 'access logs to the agent: a ring forwarded to its socket, Octavia\'s log fields per listener (no request line for TCP)', () => {
      const p = pool({ members: [member()] });
      const http = listener({ default_pool_id: p.id });
      const tcp = listener({ protocol: 'TCP', protocol_port: 5432, default_pool_id: p.id });
      return { graph: graph(loadBalancer(), [http, tcp], [p]), ctx: { log: { kind: 'agent', socket: `${GOLDEN_ROOT}/run/log.sock`, ringBytes: 262144 } } };
    }),
    renderCase('connection-logging-off', 'FULCRUM_CONNECTION_LOGGING=false: no frontend logs traffic (no log), the backends and the admin log to the ring stay', () => {
      const p = pool({ members: [member()] });
      const http = listener({ default_pool_id: p.id });
      const tcp = listener({ protocol: 'TCP', protocol_port: 5432, default_pool_id: p.id });
      return { graph: graph(loadBalancer(), [http, tcp], [p]), ctx: { log: { kind: 'agent', socket: `${GOLDEN_ROOT}/run/log.sock`, ringBytes: 262144 }, connectionLogging: false } };
    }),
    renderCase('additional-vips', 'additional VIPs (IPv4 and IPv6): every listener binds the primary and each additional VIP', () => {
      const p = pool({ members: [member()] });
      const http = listener({ default_pool_id: p.id });
      const tcp = listener({ protocol: 'TCP', protocol_port: 5432, default_pool_id: p.id });
      const lb = loadBalancer({
        additional_vips: [
          { subnet_id: '55555555-0000-4000-8000-000000000001', ip_address: '10.0.3.10', port_id: '55555555-0000-4000-8000-000000000011' },
          { subnet_id: '55555555-0000-4000-8000-000000000002', ip_address: '2001:db8::3:10', port_id: '55555555-0000-4000-8000-000000000012' },
        ],
      });
      return { graph: graph(lb, [http, tcp], [p]), ctx: { additionalVipAddresses: ['10.0.3.10', '2001:db8::3:10'] } };
    }),
    renderCase('shared-pool', 'one PROXY pool behind an HTTP and a TCP listener (a backend per listener, modes differ); an HTTP pool behind a TCP listener', () => {
      const lb = loadBalancer();
      const shared = pool({ protocol: 'PROXY', members: [member()] });
      const http = pool({ members: [member({ address: '10.0.1.2' })] });
      const l1 = listener({ default_pool_id: shared.id, timeout_member_connect: 1000 });
      const l2 = listener({ protocol: 'TCP', protocol_port: 81, default_pool_id: shared.id, timeout_member_connect: 2000 });
      const l3 = listener({ protocol: 'TCP', protocol_port: 82, default_pool_id: http.id });
      return { graph: graph(lb, [l1, l2, l3], [shared, http]) };
    }),
    renderCase('protection-http', 'per-source protection: operator defaults under the listener\'s settings, 429 with Retry-After, tarpit, reject; request limits skipped on TCP; short client timeout caps http-request', () => {
      const lb = loadBalancer();
      const p = pool({ members: [member()] });
      const deny = listener({ default_pool_id: p.id, allowed_cidrs: ['192.0.2.0/24', '2001:db8::/32'], protection: { requests_per_second_per_source: 20, burst: 5 } });
      const tarpit = listener({ protocol_port: 8080, default_pool_id: p.id, timeout_client_data: 3000, protection: { action: 'tarpit', concurrent_connections_per_source: null } });
      const reject = listener({ protocol_port: 8081, default_pool_id: p.id, protection: { action: 'reject', requests_per_second_per_source: 100, new_connections_per_second_per_source: null } });
      const tcp = listener({ protocol: 'TCP', protocol_port: 5432, default_pool_id: p.id, protection: {} });
      return {
        graph: graph(lb, [deny, tarpit, reject, tcp], [p]),
        ctx: { protectionDefaults: { requests_per_second_per_source: 50, concurrent_connections_per_source: 10, new_connections_per_second_per_source: 30 } },
      };
    }),
    renderCase('protection-active-standby', 'per-source protection table replicated to the peer amphora', () => {
      const lb = loadBalancer({ topology: 'ACTIVE_STANDBY' });
      const p = pool({ members: [member()] });
      const l = listener({ default_pool_id: p.id, protection: { requests_per_second_per_source: 20, concurrent_connections_per_source: 5 } });
      return { graph: graph(lb, [l], [p]), ctx: { topology: 'ACTIVE_STANDBY' } };
    }),
  ];
}

/** keepalived cases: both roles, and IPv6. */
export function keepalivedCases(): RenderCase[] {
  const lbCase = (name: string, covers: string, vrrp: Partial<VrrpContext>, vipAddress = '10.0.0.10') =>
    renderCase(name, covers, () => ({
      graph: graph(loadBalancer({ topology: 'ACTIVE_STANDBY', vip_address: vipAddress }), [], []),
      ctx: { topology: 'ACTIVE_STANDBY', vipAddress, amphoraId: `22222222-0000-4000-8000-00000000000${vrrp.role === 'BACKUP' ? 2 : 1}` },
      vrrp,
    }));
  return [
    lbCase('vrrp-master', 'MASTER role, default advert_int 0.1 and GARP settings', {}),
    lbCase('vrrp-backup', 'BACKUP role, custom advert_int and GARP', { role: 'BACKUP', sourceIp: '10.0.2.2', peerIps: ['10.0.2.1'], advertIntSeconds: 0.5, garp: { masterRefreshSeconds: 10 } }),
    lbCase('vrrp-ipv6', 'IPv6 VIP and VRRP addresses (/128 VIP)', { sourceIp: '2001:db8:2::1', peerIps: ['2001:db8:2::2'] }, '2001:db8::10'),
    renderCase('vrrp-additional-vips', 'additional VIPs move with the VIP: same family as virtual addresses, the other family excluded', () => ({
      graph: graph(loadBalancer({ topology: 'ACTIVE_STANDBY' }), [], []),
      ctx: { topology: 'ACTIVE_STANDBY', additionalVipAddresses: ['10.0.3.10', '2001:db8::3:10'] },
      vrrp: {},
    })),
  ];
}

const GOLDEN_DIR = fileURLToPath(new URL('../golden/render/', import.meta.url));

/**
 * Compares `actual` with `test/golden/render/<file>`; with UPDATE_GOLDEN=1 rewrites the file
 * instead (review the diff before committing it).
 */
export function matchGolden(file: string, actual: string): void {
  const path = join(GOLDEN_DIR, file);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${file} differs from the golden file (UPDATE_GOLDEN=1 to accept)`);
}
