// L7 policies of an HTTP frontend. Policies run in position order and the first whose rules all
// match wins (docs/octavia-compatibility.md §5.7). HAProxy runs every `http-request` rule before any `use_backend`,
// so a REDIRECT_TO_POOL match is recorded in a variable and later policies only act while it is
// unset; the `use_backend` lines then route on that variable.
import type { L7Policy, L7Rule, ListenerNode, PoolNode } from '../../model/lb-graph.ts';
import { RenderInputError, UnsafeConfigValue } from './errors.ts';
import {
  checkDnField,
  checkEnum,
  checkId,
  checkRedirectUrl,
  checkToken,
  quote,
  quoteLogFormat,
} from './haproxy-quote.ts';

const MATCH: Record<L7Rule['compare_type'], string> = {
  REGEX: 'reg',
  STARTS_WITH: 'beg',
  ENDS_WITH: 'end',
  CONTAINS: 'sub',
  EQUAL_TO: 'str',
};

const MATCHED_POLICY = 'txn.l7policy';
const REDIRECT_CODES = ['301', '302', '303', '307', '308'];

/** The policy's rules that take effect: admin-down rules are left out. */
function activeRules(policy: L7Policy): L7Rule[] {
  return policy.rules.filter((r) => r.admin_state_up).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Policies that take effect, in evaluation order: enabled, with at least one enabled rule (a
 * policy without rules never matches) and, for REDIRECT_TO_POOL, an enabled pool (as Octavia).
 */
export function activePolicies(listener: ListenerNode, pools: Map<string, PoolNode>): L7Policy[] {
  return listener.l7policies
    .filter((p) => p.admin_state_up && activeRules(p).length > 0)
    .filter((p) => p.action !== 'REDIRECT_TO_POOL' || redirectPool(p, pools).admin_state_up)
    .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id));
}

export function redirectPool(policy: L7Policy, pools: Map<string, PoolNode>): PoolNode {
  const pool = policy.redirect_pool_id === null ? undefined : pools.get(policy.redirect_pool_id);
  if (!pool) throw new RenderInputError(`L7 policy ${policy.id} redirects to pool ${policy.redirect_pool_id}, which is not in the graph`);
  return pool;
}

/** `-m <method> -- '<value>'`: `--` so a value such as `-f` is never read as a flag. */
function pattern(rule: L7Rule, field: string): string {
  return `-m ${MATCH[checkEnum(rule.compare_type, Object.keys(MATCH) as L7Rule['compare_type'][], `${field} compare_type`)]} -- ${quote(rule.value, `${field} value`)}`;
}

function aclLine(rule: L7Rule): string {
  const field = `L7 rule ${rule.id}`;
  const name = checkId(rule.id, `${field} id`);
  const key = rule.key ?? '';
  switch (rule.type) {
    case 'HOST_NAME':
      return `acl ${name} req.hdr(host) -i ${pattern(rule, field)}`;
    case 'PATH':
      return `acl ${name} path ${pattern(rule, field)}`;
    case 'FILE_TYPE':
      // EQUAL_TO names the extension ("jpg" or ".jpg"); REGEX is matched against the path, as in Octavia.
      if (rule.compare_type === 'EQUAL_TO') return `acl ${name} path -m end -- ${quote(`.${rule.value.replace(/^\./, '')}`, `${field} value`)}`;
      if (rule.compare_type === 'REGEX') return `acl ${name} path ${pattern(rule, field)}`;
      throw new UnsafeConfigValue(`${field} compare_type`, 'FILE_TYPE rules compare with EQUAL_TO or REGEX');
    case 'HEADER':
      return `acl ${name} ${quote(`req.hdr(${checkToken(key, `${field} key`)})`, `${field} key`)} ${pattern(rule, field)}`;
    case 'COOKIE':
      return `acl ${name} ${quote(`req.cook(${checkToken(key, `${field} key`)})`, `${field} key`)} ${pattern(rule, field)}`;
    case 'SSL_CONN_HAS_CERT':
      return `acl ${name} ssl_c_used`;
    case 'SSL_VERIFY_RESULT':
      if (!/^\d{1,9}$/.test(rule.value)) throw new UnsafeConfigValue(`${field} value`, 'must be an OpenSSL verify result code');
      return `acl ${name} ssl_c_verify eq ${Number(rule.value)}`;
    case 'SSL_DN_FIELD':
      return `acl ${name} ssl_c_s_dn(${checkDnField(key, `${field} key`)}) ${pattern(rule, field)}`;
    default:
      throw new UnsafeConfigValue(`${field} type`, `unknown rule type ${(rule as L7Rule).type}`);
  }
}

function condition(policy: L7Policy, guarded: boolean): string {
  const rules = activeRules(policy).map((r) => `${r.invert ? '!' : ''}${r.id}`);
  return ['if', ...(guarded ? [`!{ var(${MATCHED_POLICY}) -m found }`] : []), ...rules].join(' ');
}

function redirectCode(policy: L7Policy): string {
  return checkEnum(String(policy.redirect_http_code ?? 302), REDIRECT_CODES, `L7 policy ${policy.id} redirect_http_code`);
}

/** The frontend lines for the listener's policies; `backend` names the backend of a pool. */
export function l7Lines(policies: L7Policy[], backend: (pool: string) => string): string[] {
  const acls = policies.flatMap((p) => activeRules(p).map(aclLine));
  const actions: string[] = [];
  const routes: string[] = [];
  let guarded = false;
  for (const policy of policies) {
    const field = `L7 policy ${policy.id}`;
    const id = checkId(policy.id, `${field} id`);
    const cond = condition(policy, guarded);
    switch (policy.action) {
      case 'REJECT':
        actions.push(`http-request deny ${cond}`);
        break;
      case 'REDIRECT_TO_URL':
        actions.push(`http-request redirect location ${quoteLogFormat(checkRedirectUrl(policy.redirect_url ?? '', `${field} redirect_url`), `${field} redirect_url`)} code ${redirectCode(policy)} ${cond}`);
        break;
      case 'REDIRECT_PREFIX':
        actions.push(`http-request redirect prefix ${quoteLogFormat(checkRedirectUrl(policy.redirect_prefix ?? '', `${field} redirect_prefix`), `${field} redirect_prefix`)} code ${redirectCode(policy)} ${cond}`);
        break;
      case 'REDIRECT_TO_POOL':
        actions.push(`http-request set-var(${MATCHED_POLICY}) str(${id}) ${cond}`);
        routes.push(`use_backend ${backend(policy.redirect_pool_id!)} if { var(${MATCHED_POLICY}) -m str ${id} }`);
        guarded = true;
        break;
    }
  }
  return [...acls, ...actions, ...routes];
}
