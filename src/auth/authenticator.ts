// An authentication strategy turns a request's credentials into an AuthContext, or throws
// Unauthorized (401). `FULCRUM_AUTH_STRATEGY` picks one at start (strategies.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthContext } from './context.ts';

export interface Authenticator {
  /** `rawHeaders`: the request's raw header list (a repeated header is seen there, not in `headers`). */
  authenticate(headers: IncomingHttpHeaders, rawHeaders?: readonly string[]): Promise<AuthContext>;
  /** The WWW-Authenticate header of a 401, telling clients where to get credentials. */
  challenge?: string;
  close?(): Promise<void>;
}
