// The end of every netns end-to-end test: each step runs even when an earlier one failed, so
// namespaces, bridges and processes never outlive a broken test, and every failure is reported.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { cleanupPrefix } from '../../src/compute/netns/cleanup.ts';
import { stopLocalDataPlane } from './data-plane.ts';

export interface NetnsTestParts {
  app?: { close(): Promise<void> } | null;
  dataDir: string;
  memberNet?: { close(): Promise<void> } | null;
  prefix: string;
}

export async function tearDownNetnsTest(parts: NetnsTestParts): Promise<void> {
  const steps: [string, () => unknown][] = [
    ['app.close', () => parts.app?.close()],
    ['stopLocalDataPlane', () => stopLocalDataPlane(parts.dataDir)],
    ['members.close', () => parts.memberNet?.close()],
    ['cleanupPrefix', () => cleanupPrefix(parts.prefix)],
    ['rm dataDir', () => rmSync(parts.dataDir, { recursive: true, force: true })],
  ];
  const failures: string[] = [];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(failures, [], 'cleanup');
}
