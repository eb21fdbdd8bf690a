// GET /metrics under Keystone (a real Keystone on loopback): administrators scrape it, a
// tenant's member or observer gets the policy fault, a request without a token gets 401.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startKeystone, type TestKeystone } from '../helpers/keystone.ts';

let ks: TestKeystone;
let app: TestApp;
before(async () => {
  ks = await startKeystone();
  app = await startTestApp('pglite', {
    config: {
      authStrategy: 'keystone',
      keystoneAuthUrl: ks.url,
      keystoneUsername: ks.service.username,
      keystonePassword: ks.service.password,
      keystoneProjectName: ks.service.projectName,
    },
  });
});
after(async () => {
  await app?.close();
  await ks?.close();
});

test('/metrics is for administrators only under Keystone', async () => {
  const scrape = (headers: Record<string, string>) => app.api.inject({ method: 'GET', url: '/metrics', headers });
  for (const roles of [['load-balancer_member'], ['load-balancer_observer'], ['member', 'reader']]) {
    const user = await ks.createProjectUser(roles);
    const res = await scrape({ 'x-auth-token': (await ks.issueToken(user)).token });
    assert.equal(res.statusCode, 403, roles.join());
    assert.equal(res.json().faultstring, 'Policy does not allow this request to be performed.');
  }
  assert.equal((await scrape({})).statusCode, 401);
  for (const roles of [['admin'], ['load-balancer_admin']]) {
    const user = await ks.createProjectUser(roles);
    const res = await scrape({ 'x-auth-token': (await ks.issueToken(user)).token });
    assert.equal(res.statusCode, 200, roles.join());
    assert.match(res.body, /^# TYPE fulcrum_api_request_duration_seconds histogram$/m);
  }
});
