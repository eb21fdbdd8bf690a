// A failover's call to an agent that refuses connections (being restarted) is repeated until
// the agent answers, within a bound; other errors, and certificate problems, fail at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentUnavailable } from '../../src/amphora/agent-client.ts';
import { whileAgentReturns } from '../../src/providers/amphora/agent-patience.ts';

const refused = () => new AgentUnavailable('amphora agent is unreachable (ECONNREFUSED)', 'ECONNREFUSED');

test('a call refused while the agent restarts is repeated until it answers', async () => {
  let calls = 0;
  let waits = 0;
  const result = await whileAgentReturns(
    async () => {
      calls++;
      if (calls < 3) throw refused();
      return 'configured';
    },
    { waitMs: 5000, onWait: () => waits++ },
  );
  assert.equal(result, 'configured');
  assert.equal(calls, 3);
  assert.equal(waits, 1, 'told once');
});

test('an agent that stays away past the bound fails the call with its error', async () => {
  let calls = 0;
  await assert.rejects(
    whileAgentReturns(async () => {
      calls++;
      throw refused();
    }, { waitMs: 600 }),
    AgentUnavailable,
  );
  assert.ok(calls >= 2 && calls <= 4, `${calls} calls`);
});

test('no patience, an answer with an error, or an untrusted certificate: no repeat', async () => {
  for (const [waitMs, err] of [
    [0, refused()],
    [5000, new Error('haproxy -c refused the configuration')],
    [5000, new AgentUnavailable('presented a certificate we do not trust', 'CERT_HAS_EXPIRED')],
  ] as const) {
    let calls = 0;
    await assert.rejects(
      whileAgentReturns(async () => {
        calls++;
        throw err;
      }, { waitMs }),
    );
    assert.equal(calls, 1, err.message);
  }
});

test('a stopped step stops waiting', async () => {
  const abort = new AbortController();
  setTimeout(() => abort.abort(new Error('lease lost')), 300);
  await assert.rejects(
    whileAgentReturns(async () => {
      throw refused();
    }, { waitMs: 60_000, signal: abort.signal }),
    /lease lost/,
  );
});
