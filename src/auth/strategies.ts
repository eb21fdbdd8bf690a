// FULCRUM_AUTH_STRATEGY → the Authenticator of this process.
import type { FulcrumConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { Authenticator } from './authenticator.ts';
import { authenticate as noauth } from './noauth.ts';
import { createApiKeyAuthenticator } from './apikey.ts';
import { createKeystoneAuthenticator } from './keystone.ts';

export function createAuthenticator(config: FulcrumConfig, log: Logger, database: Database): Authenticator {
  switch (config.authStrategy) {
    case 'noauth':
      return { authenticate: async (headers, rawHeaders) => noauth(headers, rawHeaders) };
    case 'apikey':
      return createApiKeyAuthenticator(database.db);
    case 'keystone': {
      const keystone: Authenticator = createKeystoneAuthenticator(config, log.child({ role: 'keystone' }));
      // keystonemiddleware's challenge: where the client gets a token.
      keystone.challenge ??= `Keystone uri="${config.keystoneAuthUrl ?? ''}"`;
      return keystone;
    }
  }
}
