// The one place processes are started: an amphora with a network namespace gets every
// command prefixed with `ip netns exec <netns>`, as an argument array. No namespace is
// created here (the netns compute driver owns that); a missing one proves the prefix is
// really executed, because `ip` itself refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandFor, run } from '../../src/agent/process-runner.ts';

test('commands are prefixed with ip netns exec only for an amphora with a namespace', () => {
  assert.deepEqual(commandFor(null, 'haproxy', ['-c', '-f', '/run/a b/haproxy.cfg']), { file: 'haproxy', args: ['-c', '-f', '/run/a b/haproxy.cfg'] });
  assert.deepEqual(commandFor('amp-1', 'keepalived', ['-t', '-f', 'k.conf']), {
    file: 'ip',
    args: ['netns', 'exec', 'amp-1', 'keepalived', '-t', '-f', 'k.conf'],
  });
});

test('the prefix is executed: a missing namespace fails in ip, arguments are never shell-parsed', async () => {
  const absent = `fulcrum-absent-${process.pid}`;
  const inNs = await run(absent, 'true', []);
  assert.notEqual(inNs.code, 0);
  assert.match(inNs.stderr, new RegExp(`Cannot open network namespace "${absent}"`));

  const literal = await run(null, 'printf', ['%s|', '$(id)', 'a b', ';echo x']);
  assert.deepEqual(literal, { code: 0, stdout: '$(id)|a b|;echo x|', stderr: '' });
  await assert.rejects(run(null, 'fulcrum-no-such-program', []), /fulcrum-no-such-program is not installed/);
});
