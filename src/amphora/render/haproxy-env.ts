// State shared by the pieces of one haproxy.cfg rendering.
import type { AmphoraFile } from './amphora-files.ts';
import type { AmphoraRenderContext } from './context.ts';

export interface RenderEnv {
  ctx: AmphoraRenderContext;
  /** Every file the config names so far, by path. */
  files: Map<string, AmphoraFile>;
  /** The peers section stick tables replicate through (ACTIVE_STANDBY), else null. */
  peers: string | null;
}

/** Records that the config names `file` and returns its path for the directive. */
export function useFile(env: RenderEnv, file: AmphoraFile): string {
  env.files.set(file.path, file);
  return file.path;
}

export function section(header: string, body: string[]): string {
  return [header, ...body.map((line) => `    ${line}`)].join('\n');
}
