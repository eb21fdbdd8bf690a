// The dashboard's only door to Fulcrum: the same REST API every client uses, with the token
// (a Keystone token or a Fulcrum API key) the user signed in with, sent as X-Auth-Token.
const TOKEN_KEY = 'fulcrum.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server has no such route: a feature this Fulcrum does not have. */
    readonly missingRoute: boolean,
  ) {
    super(message);
  }
}

let unauthorized: () => void = () => {};

/** Called whenever the API refuses the credentials (the token expired or was revoked). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function faultMessage(body: unknown, status: number): string {
  const b = body as { faultstring?: string; error?: { message?: string } } | null;
  return b?.faultstring ?? b?.error?.message ?? `HTTP ${status}`;
}

export async function call<T>(method: string, path: string, body?: unknown, token = storedToken()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers['x-auth-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const message = faultMessage(parsed, res.status);
    // Only the kept token's refusal ends the session; a token being tried at sign-in does not.
    if (res.status === 401 && token !== null && token === storedToken()) unauthorized();
    throw new ApiError(res.status, message, res.status === 404 && message.startsWith('The resource could not be found'));
  }
  return parsed as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
