import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPrerequisites, parseVersion, PROGRAMS, requiredPrograms, versionAtLeast, type ProgramFound, type ProgramProbe, type ProgramSpec } from '../../src/cli/prerequisites.ts';
import { doctorExitCode, renderFindings } from '../../src/cli/doctor-report.ts';

const BASE = { enabledProviders: ['amphora', 'octavia', 'noop'], defaultProvider: 'amphora', computeDriver: 'process', defaultTopology: 'SINGLE' };

/** A host with exactly these programs installed (a probe over a table, no PATH). */
class TableProbe implements ProgramProbe {
  constructor(private readonly installed: Record<string, string | null>) {}
  async find(spec: ProgramSpec): Promise<ProgramFound> {
    if (!(spec.name in this.installed)) return { path: null };
    return { path: `/usr/sbin/${spec.name}`, versionOutput: this.installed[spec.name] };
  }
}

const summary = (reqs: ReturnType<typeof requiredPrograms>) => reqs.map((r) => `${r.program}:${r.required ? 'required' : 'optional'}`);

test('the process driver needs haproxy; keepalived only for ACTIVE_STANDBY by default', () => {
  assert.deepEqual(summary(requiredPrograms(BASE)), ['haproxy:required', 'keepalived:optional']);
  assert.deepEqual(summary(requiredPrograms({ ...BASE, defaultTopology: 'ACTIVE_STANDBY' })), ['haproxy:required', 'keepalived:required']);
  assert.deepEqual(summary(requiredPrograms({ ...BASE, defaultProvider: 'octavia' })), ['haproxy:required', 'keepalived:optional']);
});

test('the netns driver also needs ip, arping and sysctl, and for UDP/SCTP nft, conntrack and python3', () => {
  assert.deepEqual(summary(requiredPrograms({ ...BASE, computeDriver: 'netns' })), [
    'haproxy:required',
    'keepalived:optional',
    'ip:required',
    'arping:required',
    'sysctl:required',
    'nft:optional',
    'conntrack:optional',
    'python3:optional',
  ]);
});

test('noop provider by default or noop compute needs nothing to start', () => {
  assert.deepEqual(requiredPrograms({ ...BASE, computeDriver: 'noop' }), []);
  assert.deepEqual(requiredPrograms({ ...BASE, enabledProviders: ['noop'], defaultProvider: 'noop' }), []);
  // amphora still enabled: its programs are wanted, but only as a warning.
  assert.deepEqual(summary(requiredPrograms({ ...BASE, defaultProvider: 'noop' })), ['haproxy:optional', 'keepalived:optional']);
});

test('versions: parsed from the programs’ own output and compared numerically', () => {
  assert.equal(parseVersion(PROGRAMS.haproxy, 'HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/'), '2.6.12');
  assert.equal(parseVersion(PROGRAMS.keepalived, 'Keepalived v2.2.7 (01/16,2022)\n'), '2.2.7');
  assert.equal(parseVersion(PROGRAMS.ip, 'ip utility, iproute2-6.1.0, libbpf 1.1.2'), '6.1.0');
  assert.equal(parseVersion(PROGRAMS.haproxy, 'something else'), null);
  assert.ok(versionAtLeast('2.6.12', '2.6'));
  assert.ok(versionAtLeast('2.10', '2.6'));
  assert.ok(!versionAtLeast('2.4.22', '2.6'));
  assert.ok(versionAtLeast('3.0', '2.6'));
});

test('a missing or old haproxy is a failure that names the program and its install command', async () => {
  const missing = await checkPrerequisites(requiredPrograms(BASE), new TableProbe({ keepalived: 'Keepalived v2.2.7' }), '/usr/bin:/bin');
  assert.equal(missing.length, 2);
  const haproxy = missing.find((r) => r.requirement.program === 'haproxy')!;
  assert.equal(haproxy.ok, false);
  assert.match(haproxy.message, /^haproxy is not installed \(not found on PATH \/usr\/bin:\/bin\)/);
  assert.match(haproxy.message, /sudo apt-get install haproxy/);
  assert.match(haproxy.message, /sudo bin\/install-prerequisites/);
  assert.equal(missing.find((r) => r.requirement.program === 'keepalived')!.ok, true);

  const old = await checkPrerequisites(requiredPrograms(BASE), new TableProbe({ haproxy: 'HAProxy version 2.4.22-1 2023/01/01', keepalived: 'Keepalived v2.2.7' }), '');
  assert.match(old[0].message, /^haproxy 2\.4\.22 at \/usr\/sbin\/haproxy is too old: Fulcrum needs 2\.6 or later; install it with "sudo apt-get install haproxy"/);
  assert.equal(old[0].ok, false);

  const fine = await checkPrerequisites(requiredPrograms(BASE), new TableProbe({ haproxy: 'HAProxy version 2.6.12-1', keepalived: 'Keepalived v2.2.7' }), '');
  assert.equal(fine.length, 2);
  assert.ok(fine.every((r) => r.ok));
  assert.equal(fine[0].message, 'haproxy 2.6.12 at /usr/sbin/haproxy');
});

test('doctor: failures carry what to do and set the exit code; warnings do not', () => {
  const report = renderFindings([
    { check: 'haproxy', status: 'fail', message: 'haproxy is not installed', fix: 'run "sudo bin/install-prerequisites"' },
    { check: 'data dir', status: 'warn', message: 'mode 755', fix: 'chmod 700 it' },
    { check: 'PostgreSQL', status: 'ok', message: 'reachable', fix: 'never shown' },
  ]);
  assert.equal(
    report,
    [
      'FAIL  haproxy: haproxy is not installed',
      '      → run "sudo bin/install-prerequisites"',
      'WARN  data dir: mode 755',
      '      → chmod 700 it',
      'ok    PostgreSQL: reachable',
      '1 problem(s) to fix, 1 warning(s)',
    ].join('\n'),
  );
  assert.equal(doctorExitCode([{ check: 'a', status: 'fail', message: '' }]), 1);
  assert.equal(doctorExitCode([{ check: 'a', status: 'warn', message: '' }, { check: 'b', status: 'ok', message: '' }]), 0);
});
