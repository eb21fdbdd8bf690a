// The operator commands' way to the API: the URL from --url or FULCRUM_API_URL (default: this
// configuration's API on loopback), the credential from --token, FULCRUM_API_KEY or
// OS_AUTH_TOKEN, sent as X-Auth-Token as every OpenStack client sends it (a Fulcrum API key or a
// Keystone token, whichever the API is configured for). A fault body becomes an error that
// carries its faultstring.
import { FulcrumError } from '../errors.ts';

export interface ApiTarget {
  url: string;
  token: string | null;
}

export interface ApiFlags {
  url?: string;
  token?: string;
}

export function apiTarget(flags: ApiFlags, env: NodeJS.ProcessEnv, apiPort: number): ApiTarget {
  const url = (flags.url ?? env.FULCRUM_API_URL ?? `http://127.0.0.1:${apiPort}`).replace(/\/+$/, '');
  return { url, token: flags.token ?? env.FULCRUM_API_KEY ?? env.OS_AUTH_TOKEN ?? null };
}

export class ApiCallFailed extends FulcrumError {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super('LB_ERR_API_CALL', 1, message);
  }
}

export async function callApi<T>(target: ApiTarget, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token) headers['x-auth-token'] = target.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(target.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new ApiCallFailed(0, `cannot reach the Fulcrum API at ${target.url}: ${(err as Error).cause ? String((err as Error).cause) : (err as Error).message}`);
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!response.ok) {
    const fault = (parsed.faultstring as string | undefined) ?? (parsed.title as string | undefined) ?? text;
    throw new ApiCallFailed(response.status, `${method} ${path}: ${response.status} ${fault}`);
  }
  return parsed as T;
}
