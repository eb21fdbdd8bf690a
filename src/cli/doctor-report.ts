// What `fulcrum doctor` found, one finding per check, and how it is printed: pure, so the
// wording and the exit code are tested without a host to examine.

export type FindingStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  check: string;
  status: FindingStatus;
  message: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

const LABEL: Record<FindingStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function renderFindings(findings: Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${LABEL[f.status]}  ${f.check}: ${f.message}`);
    if (f.fix && (f.status === 'warn' || f.status === 'fail')) lines.push(`      → ${f.fix}`);
  }
  const failed = findings.filter((f) => f.status === 'fail').length;
  const warned = findings.filter((f) => f.status === 'warn').length;
  lines.push(failed ? `${failed} problem(s) to fix${warned ? `, ${warned} warning(s)` : ''}` : warned ? `no problems, ${warned} warning(s)` : 'no problems found');
  return lines.join('\n');
}

export function doctorExitCode(findings: Finding[]): number {
  return findings.some((f) => f.status === 'fail') ? 1 : 0;
}
