// The operator's access-log settings (FULCRUM_LOG_OFFLOAD, FULCRUM_ACCESS_LOG_*) and the agent's
// (FULCRUM_AGENT_*): good values are read, every bad one is a sentence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { agentOptions } from '../../src/agent/options.ts';
import { parseOffloadTarget } from '../../src/agent/log-offload.ts';

const AGENT = { FULCRUM_AGENT_CA_CERT: '/ca.pem', FULCRUM_AGENT_CERT: '/c.pem', FULCRUM_AGENT_KEY: '/k.pem' };

test('controller settings: offload target and format, access-log bounds', () => {
  const c = loadConfig({ FULCRUM_LOG_OFFLOAD: 'tcp://[::1]:6514', FULCRUM_LOG_OFFLOAD_FORMAT: 'rfc3164', FULCRUM_ACCESS_LOG_BYTES: '1048576', FULCRUM_ACCESS_LOG_RETENTION_SECONDS: '3600' });
  assert.deepEqual([c.logOffload, c.logOffloadFormat, c.accessLogBytes, c.accessLogRetentionSeconds], ['tcp://[::1]:6514', 'rfc3164', 1048576, 3600]);
  assert.equal(loadConfig({}).logOffload, null);
  for (const [name, value] of [
    ['FULCRUM_LOG_OFFLOAD', 'syslog.example.com:514'],
    ['FULCRUM_LOG_OFFLOAD', 'http://collector:514'],
    ['FULCRUM_LOG_OFFLOAD', 'udp://collector:70000'],
    ['FULCRUM_LOG_OFFLOAD_FORMAT', 'json'],
    ['FULCRUM_ACCESS_LOG_BYTES', '1000'],
    ['FULCRUM_ACCESS_LOG_RETENTION_SECONDS', '0'],
  ]) {
    assert.throws(() => loadConfig({ [name]: value }), new RegExp(name), `${name}=${value}`);
  }
});

test('agent settings: defaults, values, and every bad value reported', () => {
  const d = agentOptions(AGENT, {});
  assert.deepEqual([d.accessLogBytes, d.accessLogRetentionMs, d.adminLogBytes, d.logFile, d.logOffload], [4 * 1024 * 1024, 86_400_000, 1024 * 1024, null, null]);
  const o = agentOptions({ ...AGENT, FULCRUM_AGENT_ACCESS_LOG_BYTES: '65536', FULCRUM_AGENT_ACCESS_LOG_RETENTION_SECONDS: '60', FULCRUM_AGENT_LOG_FILE: '/tmp/agent.log', FULCRUM_AGENT_LOG_OFFLOAD: 'udp://127.0.0.1:5514' }, {});
  assert.deepEqual([o.accessLogBytes, o.accessLogRetentionMs, o.logFile], [65536, 60_000, '/tmp/agent.log']);
  assert.deepEqual(o.logOffload, { protocol: 'udp', host: '127.0.0.1', port: 5514, format: 'rfc5424' });
  assert.deepEqual(agentOptions(AGENT, { logOffload: 'tcp://collector.example:601' }).logOffload?.host, 'collector.example');
  assert.throws(
    () => agentOptions({ ...AGENT, FULCRUM_AGENT_ACCESS_LOG_BYTES: 'lots', FULCRUM_AGENT_ACCESS_LOG_RETENTION_SECONDS: '-1', FULCRUM_AGENT_LOG_OFFLOAD: 'udp://x' }, {}),
    (err: Error) => /ACCESS_LOG_BYTES/.test(err.message) && /RETENTION_SECONDS/.test(err.message) && /LOG_OFFLOAD/.test(err.message),
  );
});

test('offload targets', () => {
  assert.equal(parseOffloadTarget('', 'rfc5424'), null);
  assert.deepEqual(parseOffloadTarget('tcp://[2001:db8::1]:514', 'rfc3164'), { protocol: 'tcp', host: '2001:db8::1', port: 514, format: 'rfc3164' });
  assert.throws(() => parseOffloadTarget('udp://host:0', 'rfc5424'));
  assert.throws(() => parseOffloadTarget('udp://host:514', 'cef'));
});
