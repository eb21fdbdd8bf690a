// How the operator CLI commands reach the API: the configured one (FULCRUM_API_URL, else
// FULCRUM_API_BIND), with a Keystone token or a Fulcrum API key from OS_AUTH_TOKEN or
// FULCRUM_API_KEY (none under noauth), and an API fault turned into one readable error.
import type { FulcrumConfig } from '../config.ts';
import { FulcrumError } from '../errors.ts';

export function apiBaseUrl(config: FulcrumConfig, env: NodeJS.ProcessEnv): string {
  if (env.FULCRUM_API_URL) return env.FULCRUM_API_URL.replace(/\/+$/, '');
  const host = config.apiHost === '0.0.0.0' ? '127.0.0.1' : config.apiHost === '::' ? '::1' : config.apiHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.apiPort}`;
}

export function apiHeaders(env: NodeJS.ProcessEnv, accept: string): Record<string, string> {
  const token = env.OS_AUTH_TOKEN ?? env.FULCRUM_API_KEY;
  return token ? { accept, 'x-auth-token': token } : { accept };
}

export async function apiFault(res: Response): Promise<FulcrumError> {
  const text = await res.text();
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { faultstring?: string }).faultstring ?? message;
  } catch {
    // not a fault body: the text as it came
  }
  return new FulcrumError('LB_ERR_CLI', 1, `the API answered ${res.status}: ${message}`);
}
