// What the agent needs from a rendered haproxy.cfg beyond haproxy's own syntax check.
import type { AmphoraLayout } from './layout.ts';

function significantLines(config: string): string[] {
  return config.split('\n').map((line) => line.replace(/(^|\s)#.*$/, '').trim());
}

/** Human-readable problems; empty when the configuration fits the agent. */
export function contractViolations(config: string, layout: AmphoraLayout): string[] {
  const lines = significantLines(config);
  const problems: string[] = [];
  const socket = lines.find((l) => l.startsWith(`stats socket ${layout.statsSocket} `) || l === `stats socket ${layout.statsSocket}`);
  if (!socket || !/\slevel\s+admin(\s|$)/.test(socket)) {
    problems.push(`the global section must contain "stats socket ${layout.statsSocket} mode 600 level admin expose-fd listeners" (runtime changes, statistics and the server-state dump use it)`);
  }
  // `daemon` would make the master fork away from the agent, which then sees its child exit.
  if (lines.includes('daemon')) problems.push('"daemon" is not allowed: the agent runs haproxy in the foreground (-Ws) to supervise it');
  return problems;
}
