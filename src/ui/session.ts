// Who the dashboard acts as: it asks the API rather than decoding tokens. A list call that
// answers without a token means the server runs without authentication (noauth: every
// project); the operator pages show when the amphora list (admin only) answers.
import { ApiError, call } from './api.ts';

export interface Session {
  /** The server asks for no credentials. */
  open: boolean;
  operator: boolean;
}

/** The session a token gives, or null when the server refuses it (or wants one and got none). */
export async function probeSession(token: string | null): Promise<Session | null> {
  try {
    await call('GET', '/v2/lbaas/loadbalancers?limit=1', undefined, token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
  let operator = true;
  try {
    await call('GET', '/v2/octavia/amphorae?limit=1', undefined, token);
  } catch (err) {
    if (!(err instanceof ApiError && (err.status === 403 || err.status === 401))) throw err;
    operator = false;
  }
  return { open: token === null, operator };
}
