// How the operator commands (`fulcrum events`, `host`, `lb`) reach the running API: the URL from
// --url or FULCRUM_API_URL (default: this configuration's API bind address, loopback when it
// binds every address), the credential from --token, FULCRUM_API_KEY or OS_AUTH_TOKEN (a Fulcrum
// API key or a Keystone token), sent as X-Auth-Token as every OpenStack client sends it; none is
// needed under noauth. A fault body becomes an error that carries its status and faultstring.
import type { Command } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { FulcrumError } from '../errors.ts';

export interface ApiTarget {
  url: string;
  token: string | null;
}

export interface ApiFlags {
  url?: string;
  token?: string;
}

/** Adds --url and --token to a command that calls the API. */
export function withApi(command: Command): Command {
  return command
    .option('--url <url>', "the Fulcrum API (FULCRUM_API_URL; default this configuration's API bind address)")
    .option('--token <token>', 'a Fulcrum API key or Keystone token (FULCRUM_API_KEY, OS_AUTH_TOKEN)');
}

export function apiTarget(config: FulcrumConfig, flags: ApiFlags, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const bound = config.apiHost === '0.0.0.0' ? '127.0.0.1' : config.apiHost === '::' ? '::1' : config.apiHost;
  const host = bound.includes(':') ? `[${bound}]` : bound;
  const url = (flags.url ?? env.FULCRUM_API_URL ?? `http://${host}:${config.apiPort}`).replace(/\/+$/, '');
  const token = flags.token ?? env.FULCRUM_API_KEY ?? env.OS_AUTH_TOKEN ?? '';
  return { url, token: token.length > 0 ? token : null };
}

export function apiHeaders(target: ApiTarget, accept = 'application/json'): Record<string, string> {
  return target.token ? { accept, 'x-auth-token': target.token } : { accept };
}

export class ApiCallFailed extends FulcrumError {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super('LB_ERR_API_CALL', 1, message);
  }
}

function unreachable(target: ApiTarget, err: unknown): ApiCallFailed {
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return new ApiCallFailed(0, `cannot reach the Fulcrum API at ${target.url}${cause ? ` (${cause})` : ''}: is it running? (--url or FULCRUM_API_URL)`);
}

/** The error for an answer that is not 2xx: its status and the fault's faultstring (or its text). */
export async function faultOf(res: Response): Promise<ApiCallFailed> {
  const text = await res.text();
  let fault: string | undefined;
  try {
    fault = (JSON.parse(text) as { faultstring?: string } | null)?.faultstring;
  } catch {
    // not a fault body: its text is the message
  }
  return new ApiCallFailed(res.status, `${res.status} ${fault ?? text.slice(0, 200)}`);
}

/** Opens a call and answers the response itself, for streams; a fault becomes an error. */
export async function openApi(target: ApiTarget, path: string, accept: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(target.url + path, { headers: apiHeaders(target, accept), signal });
  } catch (err) {
    throw unreachable(target, err);
  }
  if (!res.ok) throw await faultOf(res);
  return res;
}

export async function callApi<T>(target: ApiTarget, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers = apiHeaders(target);
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(target.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: signal ?? AbortSignal.timeout(30_000) });
  } catch (err) {
    throw unreachable(target, err);
  }
  if (!res.ok) throw await faultOf(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}
