// Webhook URL validation, which hooks receive which events, the signature and the backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { hookMatches, retryDelayMs, signature, unknownEventTypes, webhookUrlProblem } from '../../src/model/webhook-rules.ts';

test('http and https URLs with a host are accepted', () => {
  assert.equal(webhookUrlProblem('http://127.0.0.1:8080/hook'), null);
  assert.equal(webhookUrlProblem('https://alerts.example.org/fulcrum?team=net'), null);
});

test('other schemes, non-URLs, credentials and fragments are refused with a reason', () => {
  assert.match(webhookUrlProblem('ftp://example.org/x')!, /http or https, not ftp/);
  assert.match(webhookUrlProblem('file:///etc/passwd')!, /http or https, not file/);
  assert.match(webhookUrlProblem('javascript:alert(1)')!, /http or https/);
  assert.match(webhookUrlProblem('not a url')!, /not a valid URL/);
  assert.match(webhookUrlProblem('http://user:pw@example.org/')!, /user name or password/);
  assert.match(webhookUrlProblem('http://example.org/#frag')!, /fragment/);
});

test('unknown event types are named', () => {
  assert.deepEqual(unknownEventTypes(['member.error', 'member.exploded', 'quota.reached', '__proto__']), ['member.exploded', '__proto__']);
});

test('a project hook gets its project events only; a global hook gets all; types narrow both', () => {
  const event = { project_id: 'p1', type: 'member.error' };
  assert.ok(hookMatches({ project_id: 'p1', event_types: [] }, event));
  assert.ok(!hookMatches({ project_id: 'p2', event_types: [] }, event));
  assert.ok(hookMatches({ project_id: null, event_types: [] }, event));
  assert.ok(hookMatches({ project_id: null, event_types: [] }, { project_id: null, type: 'circuit_breaker.tripped' }));
  assert.ok(!hookMatches({ project_id: 'p1', event_types: [] }, { project_id: null, type: 'circuit_breaker.tripped' }));
  assert.ok(!hookMatches({ project_id: 'p1', event_types: ['failover.started'] }, event));
  assert.ok(hookMatches({ project_id: 'p1', event_types: ['failover.started', 'member.error'] }, event));
});

test('the signature is the hex HMAC-SHA256 of the exact body under the secret', () => {
  const body = '{"event":{"id":"x"}}';
  assert.equal(signature('s3cret-s3cret-s3cret', body), `sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update(body).digest('hex')}`);
  assert.notEqual(signature('s3cret-s3cret-s3cret', body), signature('s3cret-s3cret-s3cret', `${body} `));
});

test('retries wait exponentially longer, up to the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, 100, 1000)), [100, 200, 400, 800, 1000, 1000]);
});
