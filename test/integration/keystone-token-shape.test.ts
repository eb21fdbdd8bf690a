// An X-Auth-Token that cannot be a token (too long, characters no token format has, repeated)
// is a 401 decided before Keystone is asked. The identity service here is a counting stand-in
// (named as such): it only has to show whether it was called.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createKeystoneAuthenticator } from '../../src/auth/keystone.ts';
import { rawHeadersOf } from '../../src/auth/identity-headers.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { IdentityUnavailable, Unauthorized } from '../../src/errors.ts';

let calls = 0;
let fakeKeystone: Server;
let url: string;
before(async () => {
  fakeKeystone = createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(503).end();
  });
  await new Promise<void>((r) => fakeKeystone.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(fakeKeystone.address() as { port: number }).port}/v3`;
});
after(() => fakeKeystone?.close());

test('malformed tokens are refused without a call to Keystone; a well-formed one is sent', async () => {
  const config = loadConfig({}, { authStrategy: 'keystone', keystoneAuthUrl: url, keystoneUsername: 'u', keystonePassword: 'p', keystoneProjectName: 'service' });
  const auth = createKeystoneAuthenticator(config, createLogger('silent'));
  try {
    const bad: Record<string, string | string[]>[] = [
      { 'x-auth-token': 'a'.repeat(8193) },
      { 'x-auth-token': 'token with spaces' },
      { 'x-auth-token': 'tok\u00e9n' },
      { 'x-auth-token': 'tok\u0001en' },
      { 'x-auth-token': ['gAAAAABone', 'gAAAAABtwo'] },
      { 'x-auth-token': '' },
      {},
    ];
    for (const headers of bad) {
      await assert.rejects(auth.authenticate(headers, rawHeadersOf(headers)), (e) => e instanceof Unauthorized, JSON.stringify(headers).slice(0, 60));
    }
    assert.equal(calls, 0, 'Keystone was never asked about a malformed token');
    await assert.rejects(auth.authenticate({ 'x-auth-token': 'gAAAAABwellformed' }), (e) => e instanceof IdentityUnavailable);
    assert.ok(calls > 0, 'a well-formed token does reach Keystone');
  } finally {
    await auth.close();
  }
});

test('the default validation cache keeps a revoked token usable for one minute at most', () => {
  assert.equal(loadConfig({}, {}).keystoneCacheTtlMs, 60_000);
});
