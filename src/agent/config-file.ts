// A daemon's configuration file, replaced so that it is never half-written: the new text is
// checked as `<file>.new`, then renamed over the file, keeping the old text as `<file>.prev`
// until the daemon has proved it runs the new one.
import { access, copyFile, rename, rm, writeFile } from 'node:fs/promises';

export class ConfigFile {
  constructor(readonly path: string) {}

  get stagedPath(): string {
    return `${this.path}.new`;
  }

  private get previousPath(): string {
    return `${this.path}.prev`;
  }

  exists(): Promise<boolean> {
    return access(this.path).then(
      () => true,
      () => false,
    );
  }

  async stage(text: string): Promise<string> {
    await writeFile(this.stagedPath, text, { mode: 0o600 });
    return this.stagedPath;
  }

  discardStaged(): Promise<void> {
    return rm(this.stagedPath, { force: true });
  }

  /** Makes the staged text current. The returned function puts the previous text back. */
  async promote(): Promise<() => Promise<void>> {
    const hadPrevious = await copyFile(this.path, this.previousPath).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    await rename(this.stagedPath, this.path);
    return async () => {
      if (hadPrevious) await rename(this.previousPath, this.path);
      else await rm(this.path, { force: true });
    };
  }
}
