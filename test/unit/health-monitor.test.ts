// Health monitor field rules: type/pool compatibility, HTTP-only fields and their defaults,
// null on update, and the checks across fields.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorChanges, newMonitorSettings, type MonitorSettings } from '../../src/model/health-monitor.ts';

const basic = { delay: 5, timeout: 3, max_retries: 2 };

describe('newMonitorSettings', () => {
  test('HTTP monitors get GET, / and 200; other types none of them', () => {
    assert.deepEqual(newMonitorSettings({ type: 'HTTP', ...basic }, 'HTTP'), {
      type: 'HTTP',
      ...basic,
      max_retries_down: 3,
      http_method: 'GET',
      url_path: '/',
      expected_codes: '200',
      http_version: null,
      domain_name: null,
    });
    const tcp = newMonitorSettings({ type: 'TCP', ...basic, http_method: null }, 'HTTP');
    assert.equal(tcp.http_method, null);
    assert.equal(tcp.url_path, null);
    assert.equal(tcp.expected_codes, null);
  });

  test('HTTP-only fields on another type are refused', () => {
    for (const field of ['http_method', 'url_path', 'expected_codes']) {
      assert.throws(() => newMonitorSettings({ type: 'PING', ...basic, [field]: 'GET' }, 'HTTP'), {
        status: 400,
        message: `${field} is not a valid option for health monitors of type PING`,
      });
    }
  });

  test('pool protocol compatibility and the UDP-CONNECT minimum delay', () => {
    assert.throws(() => newMonitorSettings({ type: 'UDP-CONNECT', ...basic }, 'HTTP'), /only supported for pools of type UDP\/SCTP/);
    assert.throws(() => newMonitorSettings({ type: 'PING', ...basic }, 'UDP'), /only a UDP-CONNECT\/SCTP\/TCP\/HTTP health monitor/);
    assert.throws(() => newMonitorSettings({ type: 'UDP-CONNECT', ...basic, delay: 2 }, 'UDP'), /delay value 2 should be larger than 3/);
    assert.equal(newMonitorSettings({ type: 'UDP-CONNECT', ...basic }, 'UDP').type, 'UDP-CONNECT');
  });

  test('domain_name needs http_version 1.1', () => {
    assert.throws(() => newMonitorSettings({ type: 'HTTP', ...basic, domain_name: 'a.example' }, 'HTTP'), {
      message: "Validation failure: 'http_version' must be specified when 'domain_name' is provided.",
    });
    assert.throws(() => newMonitorSettings({ type: 'HTTP', ...basic, domain_name: 'a.example', http_version: 1.0 }, 'HTTP'), {
      message: 'http_version 1.0 is not a valid option for health monitors HTTP 1.1 domain name health check',
    });
    assert.equal(newMonitorSettings({ type: 'HTTP', ...basic, domain_name: 'a.example', http_version: 1.1 }, 'HTTP').domain_name, 'a.example');
  });
});

describe('monitorChanges', () => {
  const http: MonitorSettings = newMonitorSettings({ type: 'HTTP', ...basic, url_path: '/health', max_retries_down: 5 }, 'HTTP');
  const tcp: MonitorSettings = newMonitorSettings({ type: 'TCP', ...basic }, 'TCP');

  test('null resets the optional fields to their defaults', () => {
    assert.deepEqual(monitorChanges(http, { url_path: null, max_retries_down: null, http_method: null, expected_codes: null }), {
      max_retries_down: 3,
      http_method: 'GET',
      url_path: '/',
      expected_codes: '200',
    });
  });

  test('null delay, timeout or max_retries is refused', () => {
    for (const field of ['delay', 'timeout', 'max_retries']) {
      assert.throws(() => monitorChanges(http, { [field]: null }), { status: 400, message: `None is not a valid option for ${field}` });
    }
  });

  test('any HTTP field on a TCP monitor is refused, even null', () => {
    assert.throws(() => monitorChanges(tcp, { url_path: null }), { message: 'url_path is not a valid option for health monitors of type TCP' });
    assert.deepEqual(monitorChanges(tcp, { delay: 9 }), { delay: 9 });
  });

  test('the cross-field checks see the merged result', () => {
    const withDomain = monitorChanges(http, { http_version: 1.1, domain_name: 'a.example' });
    assert.deepEqual(withDomain, { http_version: 1.1, domain_name: 'a.example' });
    assert.throws(() => monitorChanges({ ...http, ...withDomain }, { http_version: null }), /'http_version' must be specified/);
    assert.throws(() => monitorChanges({ ...http, ...withDomain }, { http_version: 1.0 }), /http_version 1\.0 is not a valid option/);
  });
});
