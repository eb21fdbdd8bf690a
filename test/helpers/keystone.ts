// A real Keystone (Debian's python3-keystone) on a loopback port for tests: a SQLite database
// and fernet keys in a temporary directory, bootstrapped with an admin, served by the
// package's own `keystone-wsgi-public` WSGI runner. close() stops exactly that process and
// removes the directory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Roles the Octavia policy defaults and Fulcrum's tests use; bootstrap makes admin/member/reader. */
export const OCTAVIA_ROLES = [
  'load-balancer_observer',
  'load-balancer_global_observer',
  'load-balancer_member',
  'load-balancer_quota_admin',
  'load-balancer_admin',
  'service',
];

export interface KeystoneUser {
  userId: string;
  username: string;
  password: string;
  projectId: string;
  projectName: string;
  /** OS_* variables for the openstack CLI, authenticating as this user. */
  cliEnv: Record<string, string>;
}

export interface TestKeystone {
  /** Identity URL with the version, e.g. http://127.0.0.1:41234/v3. */
  url: string;
  adminToken: string;
  admin: KeystoneUser;
  /** Fulcrum's service user (role `service` and `admin` in project `service`). */
  service: KeystoneUser;
  /** A new project with a new user holding `roles` on it. */
  createProjectUser(roles: string[], projectName?: string): Promise<KeystoneUser>;
  /** Grants (true) or removes (false) a role on the user's project. */
  setRole(user: KeystoneUser, role: string, granted: boolean): Promise<void>;
  /** Disables or enables the user; disabling revokes every token it was issued. */
  setEnabled(user: KeystoneUser, enabled: boolean): Promise<void>;
  issueToken(user: KeystoneUser): Promise<{ token: string; expiresAt: string }>;
  revokeToken(token: string): Promise<void>;
  /** Adds a service with a public endpoint in RegionOne (e.g. `load-balancer`, `network`). */
  registerEndpoint(type: string, name: string, url: string): Promise<void>;
  /** GET /v3/auth/tokens requests Keystone has served (from its access log). */
  validationRequests(): number;
  output(): string;
  close(): Promise<void>;
}

function cliEnv(url: string, username: string, password: string, projectName: string): Record<string, string> {
  return {
    OS_AUTH_TYPE: 'password',
    OS_AUTH_URL: url,
    OS_IDENTITY_API_VERSION: '3',
    OS_USERNAME: username,
    OS_PASSWORD: password,
    OS_PROJECT_NAME: projectName,
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'public',
  };
}

export async function startKeystone(): Promise<TestKeystone> {
  const dir = await mkdtemp(join(tmpdir(), 'fulcrum-keystone-'));
  let child: ChildProcess | null = null;
  try {
    await Promise.all([mkdir(join(dir, 'fernet')), mkdir(join(dir, 'credential'))]);
    const conf = join(dir, 'keystone.conf');
    await writeFile(
      conf,
      [
        '[DEFAULT]',
        'use_stderr = true',
        '[database]',
        `connection = sqlite:///${join(dir, 'keystone.db')}`,
        // The cheapest bcrypt cost: every CLI command authenticates with a password.
        '[identity]',
        'password_hash_rounds = 4',
        // Keystone's own cache, in process (real deployments use memcached).
        '[cache]',
        'enabled = true',
        'backend = dogpile.cache.memory',
        '[token]',
        'provider = fernet',
        '[fernet_tokens]',
        `key_repository = ${join(dir, 'fernet')}`,
        '[fernet_receipts]',
        `key_repository = ${join(dir, 'fernet')}`,
        '[credential]',
        `key_repository = ${join(dir, 'credential')}`,
        '',
      ].join('\n'),
    );
    const manage = (...args: string[]) => run('keystone-manage', ['--config-file', conf, ...args], { cwd: dir });
    const owner = ['--keystone-user', 'root', '--keystone-group', 'root'];
    await Promise.all([manage('db_sync'), manage('fernet_setup', ...owner), manage('credential_setup', ...owner)]);
    const adminPassword = randomUUID();
    // The public endpoint is corrected once the server has its port.
    await manage('bootstrap', '--bootstrap-password', adminPassword, '--bootstrap-region-id', 'RegionOne', '--bootstrap-public-url', 'http://127.0.0.1:1/v3');

    // Readers and the writer of one request use separate connections; WAL lets them coexist.
    await run('python3', ['-c', 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")', join(dir, 'keystone.db')]);
    const proc = spawn('keystone-wsgi-public', ['--host', '127.0.0.1', '--port', '0', '--', '--config-file', conf], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OS_KEYSTONE_CONFIG_FILES: conf },
    });
    child = proc;
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const m = /Available at http:\/\/[^:]*:(\d+)\//.exec(out);
        if (m) resolve(Number(m[1]));
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      proc.on('exit', (code) => reject(new Error(`keystone-wsgi-public exited with ${code}:\n${out}`)));
    });
    const url = `http://127.0.0.1:${port}/v3`;

    async function api(method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; headers: Headers; body: any }> {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(token ? { 'x-auth-token': token } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`keystone ${method} ${path} → ${res.status}: ${text}\n${out.slice(-3000)}`);
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    }

    async function passwordToken(username: string, password: string, projectName: string) {
      const res = await api('POST', '/auth/tokens', null, {
        auth: {
          identity: { methods: ['password'], password: { user: { name: username, password, domain: { name: 'Default' } } } },
          scope: { project: { name: projectName, domain: { name: 'Default' } } },
        },
      });
      return { token: res.headers.get('x-subject-token')!, expiresAt: res.body.token.expires_at as string, projectId: res.body.token.project.id as string };
    }

    const adminAuth = await passwordToken('admin', adminPassword, 'admin');
    const adminToken = adminAuth.token;
    const admin: KeystoneUser = {
      userId: (await api('GET', '/users?name=admin', adminToken)).body.users[0].id,
      username: 'admin',
      password: adminPassword,
      projectId: adminAuth.projectId,
      projectName: 'admin',
      cliEnv: cliEnv(url, 'admin', adminPassword, 'admin'),
    };

    const roleIds = new Map<string, string>();
    for (const r of (await api('GET', '/roles', adminToken)).body.roles) roleIds.set(r.name, r.id);
    for (const name of OCTAVIA_ROLES) {
      if (!roleIds.has(name)) roleIds.set(name, (await api('POST', '/roles', adminToken, { role: { name } })).body.role.id);
    }
    const identityEndpoints = (await api('GET', '/endpoints', adminToken)).body.endpoints as { id: string }[];
    for (const e of identityEndpoints) await api('PATCH', `/endpoints/${e.id}`, adminToken, { endpoint: { url } });

    async function setRole(user: { projectId: string; userId: string }, role: string, granted: boolean): Promise<void> {
      const roleId = roleIds.get(role);
      if (!roleId) throw new Error(`unknown role ${role}`);
      await api(granted ? 'PUT' : 'DELETE', `/projects/${user.projectId}/users/${user.userId}/roles/${roleId}`, adminToken);
    }

    async function createProjectUser(roles: string[], projectName = `project-${randomUUID().slice(0, 8)}`): Promise<KeystoneUser> {
      const projectId = (await api('POST', '/projects', adminToken, { project: { name: projectName, domain_id: 'default' } })).body.project.id;
      const username = `user-${randomUUID().slice(0, 8)}`;
      const password = randomUUID();
      const userId = (await api('POST', '/users', adminToken, { user: { name: username, password, domain_id: 'default', default_project_id: projectId } })).body.user.id;
      for (const role of roles) await setRole({ projectId, userId }, role, true);
      return { userId, username, password, projectId, projectName, cliEnv: cliEnv(url, username, password, projectName) };
    }

    const service = await createProjectUser(['service', 'admin'], 'service');
    const ks: TestKeystone = {
      url,
      adminToken,
      admin,
      service,
      createProjectUser,
      setRole,
      async setEnabled(user, enabled) {
        await api('PATCH', `/users/${user.userId}`, adminToken, { user: { enabled } });
      },
      async issueToken(user) {
        const t = await passwordToken(user.username, user.password, user.projectName);
        return { token: t.token, expiresAt: t.expiresAt };
      },
      async revokeToken(token) {
        await fetch(`${url}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': adminToken, 'x-subject-token': token } }).then((r) => {
          if (r.status !== 204) throw new Error(`revoke → ${r.status}`);
        });
      },
      async registerEndpoint(type, name, endpointUrl) {
        const serviceId = (await api('POST', '/services', adminToken, { service: { type, name } })).body.service.id;
        await api('POST', '/endpoints', adminToken, { endpoint: { service_id: serviceId, interface: 'public', region_id: 'RegionOne', url: endpointUrl } });
      },
      validationRequests: () => (out.match(/"GET \/v3\/auth\/tokens(\?[^ ]*)? HTTP/g) ?? []).length,
      output: () => out,
      async close() {
        await stopProcess(proc);
        await rm(dir, { recursive: true, force: true });
      },
    };
    return ks;
  } catch (err) {
    if (child) await stopProcess(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
