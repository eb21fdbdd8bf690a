// Listener ↔ pool protocols and pool ↔ monitor types (docs/octavia-compatibility.md §6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkListenerPoolProtocols, checkPoolMonitorType, portSpace } from '../../src/model/protocol-rules.ts';

const MATRIX: Record<string, string[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};
const POOLS = ['HTTP', 'HTTPS', 'TCP', 'PROXY', 'PROXYV2', 'UDP', 'SCTP'];

test('every listener/pool protocol pair follows the reference matrix', () => {
  for (const [listener, allowed] of Object.entries(MATRIX)) {
    for (const pool of POOLS) {
      if (allowed.includes(pool)) assert.doesNotThrow(() => checkListenerPoolProtocols(listener, pool), `${listener}/${pool}`);
      else assert.throws(() => checkListenerPoolProtocols(listener, pool), { status: 400 } as never, `${listener}/${pool}`);
    }
  }
});

test('the pool protocol mismatch message is Octavia’s', () => {
  assert.throws(() => checkListenerPoolProtocols('HTTP', 'UDP'), {
    message: "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.",
  });
  assert.throws(() => checkListenerPoolProtocols('PROMETHEUS', 'HTTP'), { message: 'Validation failure: Protocol PROMETHEUS listeners cannot have child objects.' });
});

test('monitor types per pool protocol', () => {
  for (const type of ['HTTP', 'HTTPS', 'PING', 'TCP', 'TLS-HELLO']) assert.doesNotThrow(() => checkPoolMonitorType('HTTP', type));
  for (const type of ['UDP-CONNECT', 'SCTP']) assert.throws(() => checkPoolMonitorType('TCP', type), /only supported for pools of type UDP\/SCTP/);
  for (const type of ['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP']) assert.doesNotThrow(() => checkPoolMonitorType('UDP', type));
  assert.throws(() => checkPoolMonitorType('UDP', 'PING'), /only a UDP-CONNECT\/SCTP\/TCP\/HTTP health monitor/);
});

test('TCP-based listener protocols share one port space', () => {
  assert.equal(portSpace('HTTP'), portSpace('TERMINATED_HTTPS'));
  assert.equal(portSpace('TCP'), portSpace('PROMETHEUS'));
  assert.notEqual(portSpace('UDP'), portSpace('TCP'));
  assert.notEqual(portSpace('UDP'), portSpace('SCTP'));
});
