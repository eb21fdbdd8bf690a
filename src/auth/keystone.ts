// `keystone`: the caller's X-Auth-Token is validated against Keystone's v3 API
// (GET /v3/auth/tokens, authorised by Fulcrum's own service token), and the token's project
// and role names become the AuthContext. Verdicts are cached (keystone-token-cache.ts) so a
// busy client costs one Keystone round trip per token per TTL, not one per request.
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'undici';
import type { FulcrumConfig } from '../config.ts';
import { ConfigError, IdentityUnavailable, Unauthorized } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Authenticator } from './authenticator.ts';
import type { AuthContext } from './context.ts';
import { TokenCache, tokenCacheKey } from './keystone-token-cache.ts';
import { rawHeadersOf, wellFormedToken } from './identity-headers.ts';

const REQUEST_TIMEOUT_MS = 10_000;
/** The service token is renewed this long before it expires (or at half its life, if shorter). */
const SERVICE_TOKEN_MARGIN_MS = 5 * 60_000;

interface KeystoneToken {
  expires_at: string;
  project?: { id: string };
  roles?: { name: string }[];
}

interface ServiceToken {
  id: string;
  renewAt: number;
}

/** What Fulcrum learns from a valid token: the context and when the token stops being valid. */
export interface TokenVerdict {
  context: AuthContext;
  expiresAt: number;
}

export function tokenToContext(token: KeystoneToken): TokenVerdict {
  const expiresAt = Date.parse(token.expires_at);
  return {
    context: {
      projectId: token.project?.id ?? null,
      roles: (token.roles ?? []).map((r) => r.name.toLowerCase()),
      // `is_admin` is the policy engine's noauth flag; Keystone callers are admins only by role.
      isAdmin: false,
    },
    expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt,
  };
}

/** The identity API root (`…/v3`) from an auth URL given with or without the version. */
export function identityV3Url(authUrl: string): string {
  const base = authUrl.replace(/\/+$/, '');
  return base.endsWith('/v3') ? base : `${base}/v3`;
}

export class KeystoneClient {
  private readonly agent = new Agent({ headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 30_000 });
  private readonly tokensUrl: string;
  private serviceToken: ServiceToken | null = null;
  private serviceTokenPending: Promise<ServiceToken> | null = null;
  /** Keystone round trips made, for tests and benchmarks that prove the cache works. */
  requests = 0;

  constructor(
    private readonly config: FulcrumConfig,
    private readonly log: Logger,
  ) {
    if (!config.keystoneAuthUrl || !config.keystoneUsername || !config.keystonePassword || !config.keystoneProjectName) {
      throw new ConfigError(
        'FULCRUM_AUTH_STRATEGY=keystone needs FULCRUM_KEYSTONE_AUTH_URL, FULCRUM_KEYSTONE_USERNAME, FULCRUM_KEYSTONE_PASSWORD and FULCRUM_KEYSTONE_PROJECT_NAME',
      );
    }
    this.tokensUrl = `${identityV3Url(config.keystoneAuthUrl)}/auth/tokens`;
  }

  /** The verdict on `subjectToken`: its context, or null when Keystone says it is not valid. */
  async validate(subjectToken: string): Promise<TokenVerdict | null> {
    for (let attempt = 0; ; attempt++) {
      const service = await this.getServiceToken();
      // The catalog is large and of no use here (keystonemiddleware asks the same way).
      const res = await this.send('GET', { 'x-auth-token': service.id, 'x-subject-token': subjectToken }, undefined, '?nocatalog');
      if (res.status === 200) return tokenToContext(((await res.json()) as { token: KeystoneToken }).token);
      // Read every other body too: undici reuses the connection only once it is consumed.
      const body = await res.text();
      // 404 is Keystone's answer for unknown, expired and revoked tokens alike.
      if (res.status === 404) return null;
      // Our own token was revoked or expired early: get a new one, once.
      if (res.status === 401 && attempt === 0) {
        this.serviceToken = null;
        continue;
      }
      this.log.error({ status: res.status, body }, 'keystone refused to validate a token');
      throw new IdentityUnavailable();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private getServiceToken(): Promise<ServiceToken> {
    if (this.serviceToken && Date.now() < this.serviceToken.renewAt) return Promise.resolve(this.serviceToken);
    this.serviceTokenPending ??= this.issueServiceToken().finally(() => {
      this.serviceTokenPending = null;
    });
    return this.serviceTokenPending;
  }

  private async issueServiceToken(): Promise<ServiceToken> {
    const c = this.config;
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: c.keystoneUsername, password: c.keystonePassword, domain: { name: c.keystoneUserDomainName } } },
        },
        scope: { project: { name: c.keystoneProjectName, domain: { name: c.keystoneProjectDomainName } } },
      },
    };
    const res = await this.send('POST', { 'content-type': 'application/json' }, JSON.stringify(body));
    const id = res.headers['x-subject-token'];
    if (res.status !== 201 || typeof id !== 'string') {
      this.log.error({ status: res.status, body: await res.text() }, 'keystone refused Fulcrum its service token');
      throw new IdentityUnavailable();
    }
    const token = ((await res.json()) as { token: KeystoneToken }).token;
    const now = Date.now();
    const expiresAt = Date.parse(token.expires_at);
    const margin = Math.min(SERVICE_TOKEN_MARGIN_MS, (expiresAt - now) / 2);
    this.serviceToken = { id, renewAt: expiresAt - margin };
    this.log.debug({ expiresAt: token.expires_at }, 'obtained keystone service token');
    return this.serviceToken;
  }

  private async send(method: 'GET' | 'POST', headers: Record<string, string>, body?: string, query = '') {
    this.requests++;
    try {
      const res = await request(this.tokensUrl + query, { method, headers: { accept: 'application/json', ...headers }, body, dispatcher: this.agent });
      return { status: res.statusCode, headers: res.headers, json: () => res.body.json(), text: () => res.body.text() };
    } catch (err) {
      this.log.error({ err, url: this.tokensUrl }, 'keystone is unreachable');
      throw new IdentityUnavailable();
    }
  }
}

export interface KeystoneAuthenticator extends Authenticator {
  readonly client: KeystoneClient;
  readonly cache: TokenCache;
  close(): Promise<void>;
}

export function createKeystoneAuthenticator(config: FulcrumConfig, log: Logger): KeystoneAuthenticator {
  const client = new KeystoneClient(config, log);
  const cache = new TokenCache({
    ttlMs: config.keystoneCacheTtlMs,
    negativeTtlMs: config.keystoneNegativeCacheTtlMs,
    maxEntries: config.keystoneCacheSize,
  });
  // Concurrent requests with the same uncached token share one Keystone round trip.
  const pending = new Map<string, Promise<AuthContext | null>>();

  async function lookup(key: string, token: string): Promise<AuthContext | null> {
    const verdict = await client.validate(token);
    if (verdict === null || verdict.expiresAt <= Date.now()) {
      cache.putInvalid(key);
      return null;
    }
    cache.putValid(key, verdict.context, verdict.expiresAt);
    return verdict.context;
  }

  return {
    client,
    cache,
    async authenticate(headers: IncomingHttpHeaders, rawHeaders: readonly string[] = rawHeadersOf(headers)): Promise<AuthContext> {
      // What cannot be a token is refused here: Keystone is never asked about it.
      const token = wellFormedToken(rawHeaders);
      if (token === null) throw new Unauthorized();
      const key = tokenCacheKey(token);
      const cached = cache.get(key);
      let context: AuthContext | null;
      if (cached.hit) {
        context = cached.context;
      } else {
        let inflight = pending.get(key);
        if (!inflight) {
          inflight = lookup(key, token).finally(() => pending.delete(key));
          pending.set(key, inflight);
        }
        context = await inflight;
      }
      if (context === null) throw new Unauthorized();
      return { ...context, roles: [...context.roles] };
    },
    close: () => client.close(),
  };
}
