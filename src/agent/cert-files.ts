// The PEM files (certificates, CA bundles, CRLs, crt-lists) an amphora's haproxy.cfg names,
// written into its certificate directory before the config is checked. Each file is replaced
// atomically (0600, temp file + rename); until the new config runs, the previous contents can
// be put back, and once it runs, files no config names any more are removed.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { InvalidRequest } from './errors.ts';

export interface AmphoraFileContent {
  /** Absolute, directly inside the amphora's certificate directory. */
  path: string;
  content: string;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

async function readIfExists(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, path);
}

export class CertFiles {
  constructor(readonly dir: string) {}

  /** Refuses paths outside the directory (the config renderer names files only there). */
  check(files: AmphoraFileContent[]): void {
    const seen = new Set<string>();
    for (const file of files) {
      if (dirname(file.path) !== this.dir || !FILE_NAME.test(basename(file.path))) {
        throw new InvalidRequest(`file ${JSON.stringify(file.path)} must be directly inside ${this.dir} and named with letters, digits, ".", "_" and "-"`);
      }
      if (seen.has(file.path)) throw new InvalidRequest(`file ${file.path} is given twice`);
      seen.add(file.path);
    }
  }

  /** Writes what changed; the returned function restores the previous contents. */
  async install(files: AmphoraFileContent[]): Promise<() => Promise<void>> {
    this.check(files);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const previous: { path: string; content: string | null }[] = [];
    const restore = async () => {
      for (const p of previous.reverse()) {
        if (p.content === null) await rm(p.path, { force: true });
        else await writeAtomically(p.path, p.content);
      }
    };
    try {
      for (const file of files) {
        const old = await readIfExists(file.path);
        if (old === file.content) continue;
        previous.push({ path: file.path, content: old });
        await writeAtomically(file.path, file.content);
      }
    } catch (err) {
      await restore();
      throw err;
    }
    return restore;
  }

  /** Removes every file of the directory that is not in `keep`. */
  async prune(keep: AmphoraFileContent[]): Promise<void> {
    const wanted = new Set(keep.map((f) => basename(f.path)));
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of names) if (!wanted.has(name)) await rm(`${this.dir}/${name}`, { force: true });
  }
}
