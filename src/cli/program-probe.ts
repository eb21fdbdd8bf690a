// Finds programs on PATH and asks them their version: the I/O behind the prerequisite rules.
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProgramFound, ProgramProbe, ProgramSpec } from './prerequisites.ts';

export function findOnPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export class PathProgramProbe implements ProgramProbe {
  constructor(private readonly path: string) {}

  async find(spec: ProgramSpec): Promise<ProgramFound> {
    const path = findOnPath(spec.name, this.path);
    if (path === null) return { path: null };
    if (!spec.versionArgs) return { path, versionOutput: null };
    const versionOutput = await new Promise<string | null>((resolve) => {
      execFile(path, spec.versionArgs!, { timeout: 5000 }, (err, stdout, stderr) => {
        const text = `${stdout}${stderr}`;
        resolve(err && !text ? null : text);
      });
    });
    return { path, versionOutput };
  }
}
