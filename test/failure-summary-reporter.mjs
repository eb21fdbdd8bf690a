import { inspect } from 'node:util';

// A node:test reporter that keeps only the failed tests and writes them once the run ends,
// so a long run's verdict and its reasons are together at the very end of the log.
export default async function* failureSummary(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const error = event.data.details?.error;
    // A suite fails because its subtests did; the subtests themselves are listed.
    if (error?.failureType === 'subtestsFailed') continue;
    const reason = error?.cause ?? error;
    failures.push({
      where: `${event.data.file ?? '?'}${event.data.line ? `:${event.data.line}` : ''}`,
      name: event.data.name,
      reason: (typeof reason?.stack === 'string' ? reason.stack : inspect(reason, { depth: 3 })).split('\n').slice(0, 12).join('\n    '),
    });
  }
  if (failures.length === 0) return;
  yield `\n${failures.length} failed test(s):\n`;
  for (const f of failures) yield `\n- ${f.name}\n  ${f.where}\n    ${f.reason}\n`;
}
