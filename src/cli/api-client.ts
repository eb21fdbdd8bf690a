// How CLI commands that read the running API reach it: the URL (--url, FULCRUM_URL, else the
// configured API bind address) and the caller's credential (--token, FULCRUM_TOKEN, or
// OS_AUTH_TOKEN: a Keystone token or a Fulcrum API key), sent as X-Auth-Token, as the
// openstack CLI does. Under noauth no credential is needed.
import type { FulcrumConfig } from '../config.ts';
import { FulcrumError } from '../errors.ts';

export interface ApiTarget {
  url: string;
  token: string | null;
}

export interface ApiOptions {
  url?: string;
  token?: string;
}

export function apiTarget(config: FulcrumConfig, opts: ApiOptions, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const host = config.apiHost.includes(':') ? `[${config.apiHost}]` : config.apiHost;
  const url = (opts.url ?? env.FULCRUM_URL ?? `http://${host}:${config.apiPort}`).replace(/\/+$/, '');
  const token = opts.token ?? env.FULCRUM_TOKEN ?? env.OS_AUTH_TOKEN ?? null;
  return { url, token: token && token.length > 0 ? token : null };
}

/** GETs `path` (with its query) as JSON; an API fault becomes an error with its faultstring. */
export async function apiGet<T>(target: ApiTarget, path: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token) headers['x-auth-token'] = target.token;
  let res: Response;
  try {
    res = await fetch(target.url + path, { headers, signal: signal ?? AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new FulcrumError('LB_ERR_CONFIG', 1, `cannot reach the Fulcrum API at ${target.url}${cause ? ` (${cause})` : ''}: is it running? (--url or FULCRUM_URL)`);
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // A non-JSON answer is reported below by its status.
  }
  if (!res.ok) {
    const fault = (body as { faultstring?: string } | null)?.faultstring;
    throw new FulcrumError('LB_ERR_REQUEST', 1, `${res.status} ${fault ?? text.slice(0, 200)}`);
  }
  return body as T;
}
