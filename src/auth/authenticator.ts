// An authentication strategy turns a request's credentials into an AuthContext, or throws
// NotAuthorized (401). `FULCRUM_AUTH_STRATEGY` picks one at start.
import type { IncomingHttpHeaders } from 'node:http';
import type { AuthContext } from './context.ts';

export interface Authenticator {
  authenticate(headers: IncomingHttpHeaders): Promise<AuthContext>;
  close?(): Promise<void>;
}
