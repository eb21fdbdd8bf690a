// The dashboard in a real browser against a real `fulcrum serve` (API keys, the amphora provider
// on the process driver, a real HAProxy in front of a backend on loopback): a tenant signs in
// through the form, lists and opens their load balancer, sees its colored status tree, its
// traffic graph moving, its member health, access log and events; an administrator sees the
// operations page with the amphora and fails it over; under noauth every project shows. Each
// page is kept as a screenshot in test-artifacts/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { freePort, startBackend, stopLocalDataPlane, type Backend } from '../helpers/data-plane.ts';
import { httpGet } from '../helpers/netns.ts';
import { runFulcrum } from '../helpers/fulcrum-serve.ts';
import { startFulcrum, type FulcrumProcess } from '../helpers/processes.ts';
import { artifactDir, launchBrowser, type Browser } from '../helpers/browser.ts';
import { startTestApp, SUBNET } from '../helpers/app.ts';

const TENANT = 'dashboard-tenant';

async function createKey(env: Record<string, string>, project: string, role: string): Promise<string> {
  const out = await runFulcrum(['apikey', 'create', '--project', project, '--role', role, '--name', `dashboard-${role}`], env);
  assert.equal(out.code, 0, out.stderr);
  const key = /^key:\s+(\S+)$/m.exec(out.stdout)?.[1];
  assert.ok(key, out.stdout);
  return key;
}

/** Requests through the VIP, a new connection each, until stopped (at most 3 minutes, 20000 requests). */
function startTraffic(url: string): { stop(): Promise<number> } {
  let stopping = false;
  let ok = 0;
  const deadline = Date.now() + 180_000;
  const done = (async () => {
    for (let i = 0; i < 20_000 && !stopping && Date.now() < deadline; i++) {
      const res = await httpGet(url, 2000).catch(() => null);
      if (res?.status === 200) ok++;
      await sleep(40);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await done;
      return ok;
    },
  };
}

/** The text of the element matching `selector`, once it exists. */
async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent({ timeout: 30_000 })) ?? '';
}

describe('dashboard in Chromium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-e2e-dashboard-'));
  const shots = artifactDir('dashboard');
  const cidr = `127.${randomInt(20, 200)}.${randomInt(0, 255)}.0/24`;
  let env: Record<string, string>;
  let server: FulcrumProcess | null = null;
  let browser: Browser | null = null;
  let backend: Backend | null = null;
  let traffic: ReturnType<typeof startTraffic> | null = null;
  let base = '';
  let tenantKey = '';
  let adminKey = '';
  let lbId = '';
  const pageErrors: string[] = [];

  async function call(key: string, method: string, path: string, body?: unknown) {
    const res = await fetch(base + path, {
      method,
      headers: { 'x-auth-token': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const raw = await res.text();
    return { status: res.status, body: raw ? JSON.parse(raw) : null };
  }

  async function waitActive(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = (await call(tenantKey, 'GET', `/v2/lbaas/loadbalancers/${lbId}`)).body?.loadbalancer?.provisioning_status;
      if (status === 'ACTIVE') return;
      if (status === 'ERROR' || Date.now() > deadline) throw new Error(`load balancer ${lbId} is ${status}: ${JSON.stringify((await call(adminKey, 'GET', `/v2/fulcrum/jobs?load_balancer_id=${lbId}`)).body)}`);
      await sleep(50);
    }
  }

  async function created(res: { status: number; body: any }, key: string): Promise<string> {
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await waitActive();
    return res.body[key].id;
  }

  async function newPage(): Promise<Page> {
    const page = await browser!.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) pageErrors.push(`CSP: ${msg.text()}`);
    });
    return page;
  }

  async function shoot(page: Page, name: string): Promise<void> {
    const path = join(shots, name);
    await page.screenshot({ path, fullPage: true });
    console.log(`# screenshot: ${path}`);
  }

  /**
   * A panel fed by an endpoint another part of Fulcrum provides: when the server lacks the route
   * the panel must say so; when it has it, the panel must show what the API returns.
   */
  async function expectPanel(page: Page, panel: string, path: string, expected: (body: any) => RegExp, key = tenantKey): Promise<void> {
    const res = await call(key, 'GET', path);
    const locator = page.locator(`[data-panel=${panel}]`);
    if (res.status === 404 && /could not be found/.test(res.body.faultstring)) {
      await locator.locator('text=Not available on this server.').waitFor({ timeout: 30_000 });
      return;
    }
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const want = expected(res.body);
    await page.waitForFunction(({ sel, source }) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ''), { sel: `[data-panel=${panel}]`, source: want.source }, { timeout: 30_000 });
  }

  before(async () => {
    env = {
      FULCRUM_DATA_DIR: dataDir,
      FULCRUM_API_BIND: '127.0.0.1:0',
      FULCRUM_AUTH_STRATEGY: 'apikey',
      FULCRUM_LOCAL_AGENT_PORT: String(await freePort()),
      FULCRUM_DEFAULT_PROVIDER: 'amphora',
      FULCRUM_NETWORK_DRIVER: 'local',
      FULCRUM_COMPUTE_DRIVER: 'process',
      FULCRUM_JOB_POLL_MS: '50',
      FULCRUM_HEALTH_POLL_MS: '300',
      FULCRUM_HEARTBEAT_INTERVAL_MS: '500',
    };
    // The embedded database belongs to one process at a time: keys are made before serve starts.
    tenantKey = await createKey(env, TENANT, 'load-balancer_member');
    adminKey = await createKey(env, 'dashboard-ops', 'admin');
    server = startFulcrum(['serve'], env);
    base = await server.address;
    backend = await startBackend('dashboard-backend');

    const network = await call(adminKey, 'POST', '/v2/fulcrum/networks', { network: { name: 'dashboard' } });
    assert.equal(network.status, 201, JSON.stringify(network.body));
    const subnet = await call(adminKey, 'POST', '/v2/fulcrum/subnets', { subnet: { network_id: network.body.network.id, cidr } });
    assert.equal(subnet.status, 201, JSON.stringify(subnet.body));
    const lb = await call(tenantKey, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'shop-frontend', vip_subnet_id: subnet.body.subnet.id } });
    assert.equal(lb.status, 201, JSON.stringify(lb.body));
    lbId = lb.body.loadbalancer.id;
    await waitActive();
    const listenerId = await created(await call(tenantKey, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, name: 'http', protocol: 'HTTP', protocol_port: 8080 } }), 'listener');
    const poolId = await created(await call(tenantKey, 'POST', '/v2/lbaas/pools', { pool: { listener_id: listenerId, name: 'web', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }), 'pool');
    await created(await call(tenantKey, 'POST', `/v2/lbaas/pools/${poolId}/members`, { member: { name: 'web-1', address: '127.0.0.1', protocol_port: backend.port } }), 'member');
    await created(await call(tenantKey, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1 } }), 'healthmonitor');

    traffic = startTraffic(`http://${lb.body.loadbalancer.vip_address}:8080/`);
    // The graph needs counted traffic and a healthy member: both come with heartbeats.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const stats = (await call(tenantKey, 'GET', `/v2/lbaas/loadbalancers/${lbId}/stats`)).body.stats;
      const tree = (await call(tenantKey, 'GET', `/v2/lbaas/loadbalancers/${lbId}/status`)).body.statuses.loadbalancer;
      if (stats.total_connections > 0 && tree.listeners[0].pools[0].members[0].operating_status === 'ONLINE') break;
      if (Date.now() > deadline) throw new Error(`no traffic counted or member not ONLINE: ${JSON.stringify({ stats, tree })}`);
      await sleep(200);
    }
    browser = await launchBrowser();
  });

  after(async () => {
    await traffic?.stop();
    await browser?.close();
    await server?.stop('SIGTERM');
    stopLocalDataPlane(dataDir);
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`# dashboard screenshots in ${shots}`);
  });

  test('a tenant signs in, lists and opens the load balancer: status tree, live graph, members, log and events', async () => {
    const page = await newPage();
    const res = await page.goto(`${base}/ui/`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
    await page.locator('[data-testid=login-form]').waitFor();
    assert.equal(await page.locator('[data-testid=lb-table]').count(), 0, 'nothing is shown before signing in');
    await shoot(page, '01-login.png');

    await page.fill('#token', 'not-a-key');
    await page.click('button[type=submit]');
    assert.match(await text(page, '[role=alert]'), /did not accept/);

    await page.fill('#token', tenantKey);
    await page.click('button[type=submit]');
    const row = page.locator('[data-testid=lb-table] tbody tr', { hasText: 'shop-frontend' });
    await row.waitFor({ timeout: 30_000 });
    assert.match((await row.textContent()) ?? '', new RegExp(`${lbId}.*${TENANT}.*ACTIVE.*ONLINE`));
    assert.equal(await row.locator('.badge.tone-ok').count(), 2, 'ACTIVE and ONLINE are drawn green');
    assert.equal(await page.locator('nav >> text=Operations').count(), 0, 'a tenant has no operations page');
    await shoot(page, '02-loadbalancers.png');

    await row.locator('a').click();
    await page.waitForURL(`**/ui/#/lb/${lbId}`);
    await page.locator('[data-testid=lb-name]', { hasText: 'shop-frontend' }).waitFor({ timeout: 30_000 });
    const tree = page.locator('[data-testid=status-tree]');
    await tree.waitFor();
    for (const [kind, name] of [['listener', 'http'], ['pool', 'web'], ['member', 'web-1'], ['monitor', 'HTTP']]) {
      const node = tree.locator(`[data-kind="${kind}"]`, { hasText: name });
      await node.waitFor({ timeout: 30_000 });
      assert.match((await node.textContent()) ?? '', /ONLINE/, `${kind} ${name} is ONLINE`);
      assert.match((await node.getAttribute('class')) ?? '', /tone-border-ok/, `${kind} ${name} is drawn green`);
    }
    const member = page.locator('[data-testid=member-table] tbody tr', { hasText: `127.0.0.1:${backend!.port}` });
    assert.match((await member.textContent({ timeout: 30_000 })) ?? '', /ONLINE/);

    // The graph plots rates between polls: it needs two polls with traffic in between.
    await page.locator('[data-chart=Connections] canvas').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=rate] strong')?.textContent) > 0, undefined, { timeout: 30_000 });
    const total = Number(await text(page, '[data-testid=total-connections] strong'));
    assert.ok(total > 0, `total connections shown: ${total}`);
    const legend = await text(page, '[data-chart=Connections] .u-legend');
    assert.match(legend, /new\/s/);
    // A moment more so the screenshot shows a line, not a point.
    await sleep(4000);
    await shoot(page, '03-loadbalancer.png');

    await expectPanel(page, 'logs', `/v2/fulcrum/loadbalancers/${lbId}/logs?limit=50`, (body) => {
      // Requests keep coming: the tail shows HAProxy's request line.
      assert.ok(body.logs.length > 0, 'the server logged the traffic');
      return /GET \/ HTTP\/1\.1/;
    });
    await expectPanel(page, 'events', `/v2/fulcrum/events?loadbalancer_id=${lbId}`, (body) => (body.events.length ? new RegExp(body.events[0].type) : /No events/));
    await page.close();
  });

  test('an administrator sees the operations page: amphorae, jobs, breakers; sign-out ends the session', async () => {
    const page = await newPage();
    await page.goto(`${base}/ui/`);
    await page.locator('[data-testid=login-form]').waitFor();
    await page.fill('#token', adminKey);
    await page.click('button[type=submit]');
    await page.locator('nav >> text=Operations').click();
    await page.waitForURL('**/ui/#/operator');

    const amphorae = (await call(adminKey, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae;
    assert.equal(amphorae.length, 1);
    const amphoraRow = page.locator('[data-testid=amphora-table] tbody tr', { hasText: amphorae[0].id });
    await amphoraRow.waitFor({ timeout: 30_000 });
    assert.match((await amphoraRow.textContent()) ?? '', new RegExp(`${lbId.slice(0, 8)}.*ALLOCATED`));
    const jobs = page.locator('[data-testid=job-table] tbody tr');
    await jobs.first().waitFor({ timeout: 30_000 });
    assert.ok((await jobs.count()) >= 5, 'the create, listener, pool, member and monitor jobs are listed');
    assert.match((await jobs.first().textContent()) ?? '', /succeeded/);
    assert.match(await text(page, '[data-panel=breakers]'), /No failure domain has tripped a breaker|closed/);
    assert.match(await text(page, '[data-panel=managers]'), /127\.0\.0\.1:\d+/);
    await expectPanel(page, 'hosts', '/v2/fulcrum/hosts', (body) => (body.hosts.length ? new RegExp(body.hosts[0].name) : /No hosts registered/), adminKey);
    await shoot(page, '04-operations.png');

    // Failover from the amphora's row, confirmed in the browser's dialog: a new amphora replaces it.
    page.once('dialog', (dialog) => dialog.accept());
    await amphoraRow.locator('button', { hasText: 'Failover' }).click();
    await page.locator('text=Failover started.').waitFor({ timeout: 30_000 });
    await waitActive();
    const replaced = (await call(adminKey, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${lbId}`)).body.amphorae.filter((a: any) => a.status === 'ALLOCATED');
    assert.equal(replaced.length, 1);
    assert.notEqual(replaced[0].id, amphorae[0].id, 'the failover replaced the amphora');
    await page.locator('[data-testid=amphora-table] tbody tr', { hasText: replaced[0].id }).waitFor({ timeout: 30_000 });
    // Where the server records events, the failover's show on the page as the API lists them.
    await expectPanel(page, 'events', `/v2/fulcrum/events?loadbalancer_id=${lbId}&type=failover.finished`, (body) => {
      assert.equal(body.events.length, 1, JSON.stringify(body.events));
      return /failover\.finished/;
    }, adminKey);
    await shoot(page, '05-operations-after-failover.png');

    await page.locator('text=Sign out').click();
    await page.locator('[data-testid=login-form]').waitFor();
    await page.reload();
    await page.locator('[data-testid=login-form]').waitFor();
    assert.equal(await page.locator('[data-testid=amphora-table]').count(), 0, 'signed out: the token is gone');
    await page.close();
  });

  test('under noauth there is no sign-in and every project is shown', async () => {
    const open = await startTestApp('pglite', { worker: true });
    try {
      for (const project of ['project-red', 'project-blue']) {
        const res = await open.request('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: `lb-of-${project}`, vip_subnet_id: SUBNET } }, { 'x-project-id': project });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        await open.waitFor(`/v2/lbaas/loadbalancers/${res.body.loadbalancer.id}`, 'loadbalancer');
      }
      const address = await open.api.listen({ host: '127.0.0.1', port: 0 });
      const page = await newPage();
      await page.goto(`${address}/ui/`);
      for (const project of ['project-red', 'project-blue']) {
        const row = page.locator('[data-testid=lb-table] tbody tr', { hasText: `lb-of-${project}` });
        await row.waitFor({ timeout: 30_000 });
        assert.equal(await row.locator('td.mono').nth(1).textContent(), project);
      }
      assert.equal(await page.locator('[data-testid=login-form]').count(), 0);
      assert.match(await text(page, 'nav .pill'), /noauth · all projects/);
      assert.equal(await page.locator('nav >> text=Operations').count(), 1, 'noauth callers are administrators');
      await shoot(page, '06-noauth.png');
      await page.close();
    } finally {
      await open.close();
    }
  });

  test('no script error or blocked resource on any page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
