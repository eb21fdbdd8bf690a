// Octavia's policy (docs/octavia-compatibility.md §7.2, §7.3) and its two opt-in alternatives, as named profiles
// (FULCRUM_POLICY_PROFILE). The default is Octavia's code default: access needs one of the
// load-balancer_* roles (observer, global_observer, member, quota_admin, admin); Keystone's
// plain member/reader roles alone get nothing. Operators override any of these names in
// FULCRUM_POLICY_FILE, on top of the chosen profile.

/** The prefix of Octavia's per-endpoint rule names; a route's `policy` config omits it. */
export const OCTAVIA_PREFIX = 'os_load-balancer_api:';

/** Fulcrum's own management API (/v2/fulcrum/*) uses rule names starting with this. */
export const FULCRUM_PREFIX = 'fulcrum:';

/** The full rule name of a route's policy action. */
export function ruleName(action: string): string {
  return action.startsWith(FULCRUM_PREFIX) ? action : OCTAVIA_PREFIX + action;
}

const ADMIN = 'rule:load-balancer:admin';
const READ = 'rule:load-balancer:read';
const READ_GLOBAL = 'rule:load-balancer:read-global';
const WRITE = 'rule:load-balancer:write';

/**
 * The aliases of Octavia's default policy, with the deprecated form of each rule OR-ed in (as
 * oslo.policy does while `enforce_new_defaults` is off, Octavia's default). `system_scope` is
 * never set on Fulcrum's credentials, so the system-scoped parts only matter to policy files.
 */
export const ALIAS_RULES: Record<string, string> = {
  'system-admin': 'role:admin and system_scope:all',
  'system-reader': 'role:reader and system_scope:all',
  'project-member': 'role:member and project_id:%(project_id)s',
  'project-reader': 'role:reader and project_id:%(project_id)s',
  context_is_admin: 'role:admin or role:load-balancer_admin or rule:system-admin',
  service: 'role:service',
  'load-balancer:owner': 'project_id:%(project_id)s',
  'load-balancer:admin': 'is_admin:True or role:load-balancer_admin or rule:system-admin',
  'load-balancer:global_observer': 'role:load-balancer_global_observer or rule:system-reader',
  'load-balancer:member_and_owner':
    '(role:load-balancer_member and rule:project-member) or (role:load-balancer_member and rule:load-balancer:owner)',
  'load-balancer:observer_and_owner':
    '(role:load-balancer_observer and rule:project-reader) or (role:load-balancer_observer and rule:load-balancer:owner)',
  'load-balancer:quota-admin': 'role:load-balancer_quota_admin',
  'load-balancer:read':
    'rule:load-balancer:observer_and_owner or rule:load-balancer:global_observer or rule:load-balancer:member_and_owner or rule:load-balancer:admin',
  'load-balancer:read-global': 'rule:load-balancer:global_observer or rule:load-balancer:admin',
  'load-balancer:write': 'rule:load-balancer:member_and_owner or rule:load-balancer:admin',
  'load-balancer:read-quota':
    'rule:load-balancer:observer_and_owner or rule:load-balancer:global_observer or rule:load-balancer:member_and_owner or rule:load-balancer:quota-admin or rule:load-balancer:admin',
  'load-balancer:read-quota-global': 'rule:load-balancer:global_observer or rule:load-balancer:quota-admin or rule:load-balancer:admin',
  'load-balancer:write-quota': 'rule:load-balancer:quota-admin or rule:load-balancer:admin',
};

export const POLICY_PROFILES = ['octavia', 'keystone-default-roles', 'admin-or-owner'] as const;
export type PolicyProfile = (typeof POLICY_PROFILES)[number];

/**
 * What each alternative profile changes in the defaults: the rule sets of Octavia's opt-in
 * policy files.
 * - `keystone-default-roles`: Keystone's personas without the load-balancer_* roles: `reader`
 *   reads its project, `member` writes it (Keystone's role implications make every member a
 *   reader too), `admin` does everything; load-balancer_admin keeps the admin-only APIs. System
 *   readers are `admin` only: a project `reader` must not read every project.
 * - `admin-or-owner`: any user of a project reads and writes what the project owns; `admin` and
 *   load-balancer_admin everything.
 */
const PROFILE_RULES: Record<Exclude<PolicyProfile, 'octavia'>, Record<string, string>> = {
  'keystone-default-roles': {
    system_admin: 'role:admin',
    system_reader: 'role:admin',
    project_reader: 'role:reader and project_id:%(project_id)s',
    project_member: 'role:member and project_id:%(project_id)s',
    context_is_admin: 'role:admin',
    'load-balancer:admin': 'is_admin:True or rule:system_admin or role:load-balancer_admin',
    'load-balancer:read': 'is_admin:True or rule:system_reader or rule:project_reader',
    'load-balancer:read-global': 'is_admin:True or rule:system_reader',
    'load-balancer:write': 'is_admin:True or rule:project_member',
    'load-balancer:read-quota': 'is_admin:True or rule:system_reader or rule:project_reader',
    'load-balancer:read-quota-global': 'is_admin:True or rule:system_reader',
    'load-balancer:write-quota': 'is_admin:True',
  },
  'admin-or-owner': {
    context_is_admin: 'role:admin or role:load-balancer_admin',
    admin_or_owner: 'is_admin:True or project_id:%(project_id)s',
    'load-balancer:read': 'rule:admin_or_owner',
    'load-balancer:read-global': 'is_admin:True',
    'load-balancer:write': 'rule:admin_or_owner',
    'load-balancer:read-quota': 'rule:admin_or_owner',
    'load-balancer:read-quota-global': 'is_admin:True',
    'load-balancer:write-quota': 'is_admin:True',
  },
};

/** The project-owned tree: read, list across projects, write. */
function treeRules(resource: string, extraReads: string[] = []): Record<string, string> {
  const rules: Record<string, string> = {
    [`${resource}:get_all`]: READ,
    [`${resource}:get_all-global`]: READ_GLOBAL,
    [`${resource}:get_one`]: READ,
    [`${resource}:post`]: WRITE,
    [`${resource}:put`]: WRITE,
    [`${resource}:delete`]: WRITE,
  };
  for (const action of extraReads) rules[`${resource}:${action}`] = READ;
  return rules;
}

function adminRules(resource: string, actions: string[]): Record<string, string> {
  return Object.fromEntries(actions.map((a) => [`${resource}:${a}`, ADMIN]));
}

/** Per-endpoint rules, without the `os_load-balancer_api:` prefix. */
export const ACTION_RULES: Record<string, string> = {
  ...treeRules('loadbalancer', ['get_stats', 'get_status']),
  'loadbalancer:put_failover': ADMIN,
  'loadbalancer:post:vip_sg_ids': WRITE,
  'loadbalancer:put:vip_sg_ids': WRITE,
  ...treeRules('listener', ['get_stats']),
  ...treeRules('pool'),
  ...treeRules('member'),
  // Other OpenStack services (e.g. a Kubernetes cloud provider's service user) may list members.
  'member:get_all': `${READ} or rule:service`,
  ...treeRules('healthmonitor'),
  ...treeRules('l7policy'),
  ...treeRules('l7rule'),
  'quota:get_all': 'rule:load-balancer:read-quota',
  'quota:get_all-global': 'rule:load-balancer:read-quota-global',
  'quota:get_one': 'rule:load-balancer:read-quota',
  'quota:get_defaults': 'rule:load-balancer:read-quota',
  'quota:put': 'rule:load-balancer:write-quota',
  'quota:delete': 'rule:load-balancer:write-quota',
  'provider:get_all': READ,
  'provider-flavor:get_all': ADMIN,
  'provider-availability-zone:get_all': ADMIN,
  'flavor:get_all': READ,
  'flavor:get_one': READ,
  ...adminRules('flavor', ['post', 'put', 'delete']),
  ...adminRules('flavor-profile', ['get_all', 'get_one', 'post', 'put', 'delete']),
  'availability-zone:get_all': READ,
  'availability-zone:get_one': READ,
  ...adminRules('availability-zone', ['post', 'put', 'delete']),
  ...adminRules('availability-zone-profile', ['get_all', 'get_one', 'post', 'put', 'delete']),
  ...adminRules('amphora', ['get_all', 'get_one', 'delete', 'get_stats', 'put_failover', 'put_config']),
};

/**
 * Fulcrum's management API (and the Neutron-compatible subset, which shares the network and
 * subnet rules): VIP networks and subnets are readable by anyone with a read role (users need
 * their ids to create load balancers), other projects' private networks by global readers,
 * and changed by administrators. Certificates are project-owned like the load-balancer tree.
 * The flow records (jobs) are for administrators only.
 */
export const FULCRUM_RULES: Record<string, string> = {
  'fulcrum:network:get_all': READ,
  'fulcrum:network:get_all-global': READ_GLOBAL,
  'fulcrum:network:get_one': READ,
  'fulcrum:network:post': ADMIN,
  'fulcrum:network:delete': ADMIN,
  'fulcrum:subnet:get_all': READ,
  'fulcrum:subnet:get_all-global': READ_GLOBAL,
  'fulcrum:subnet:get_one': READ,
  'fulcrum:subnet:post': ADMIN,
  'fulcrum:subnet:delete': ADMIN,
  'fulcrum:certificate:get_all': READ,
  'fulcrum:certificate:get_all-global': READ_GLOBAL,
  'fulcrum:certificate:get_one': READ,
  'fulcrum:certificate:post': WRITE,
  'fulcrum:certificate:delete': WRITE,
  'fulcrum:job:get_all': ADMIN,
  'fulcrum:job:get_one': ADMIN,
  // A drill kills an amphora for real: administrators only.
  'fulcrum:loadbalancer:drill': ADMIN,
  'fulcrum:loadbalancer:get_drill': ADMIN,
  'fulcrum:health_manager:get_all': ADMIN,
  'fulcrum:circuit_breaker:get_all': ADMIN,
  'fulcrum:circuit_breaker:reset': ADMIN,
  'fulcrum:metrics:get': ADMIN,
  // A load balancer's access log is read like the load balancer itself, in every profile.
  'fulcrum:loadbalancer:get_logs': `rule:${OCTAVIA_PREFIX}loadbalancer:get_one`,
  // Events and webhooks are project-owned; those of the control plane (no project) and hooks
  // for every project are for administrators (the owner check fails on a null project).
  'fulcrum:event:get_all': READ,
  'fulcrum:event:get_all-global': READ_GLOBAL,
  'fulcrum:event:get_one': READ,
  'fulcrum:webhook:get_all': READ,
  'fulcrum:webhook:get_all-global': READ_GLOBAL,
  'fulcrum:webhook:get_one': READ,
  'fulcrum:webhook:get_deliveries': READ,
  'fulcrum:webhook:post': WRITE,
  'fulcrum:webhook:delete': WRITE,
  // Client addresses of other people's users: operators only.
  'fulcrum:listener:get_protection_sources': ADMIN,
  'fulcrum:host:get_all': ADMIN,
  'fulcrum:host:get_one': ADMIN,
  'fulcrum:host:put': ADMIN,
  'fulcrum:host:delete': ADMIN,
  'fulcrum:host:create_join_token': ADMIN,
  'fulcrum:loadbalancer:migrate': ADMIN,
  // Diagnostics show agents, hosts and configuration checksums; resync and rebuild act on them.
  'fulcrum:loadbalancer:get_diagnostics': ADMIN,
  'fulcrum:loadbalancer:resync': ADMIN,
  'fulcrum:loadbalancer:rebuild': ADMIN,
};

/** Every rule of a profile under its full name. */
export function defaultRules(profile: PolicyProfile = 'octavia'): Record<string, string> {
  const rules: Record<string, string> = { ...ALIAS_RULES, ...FULCRUM_RULES };
  for (const [action, check] of Object.entries(ACTION_RULES)) rules[OCTAVIA_PREFIX + action] = check;
  return profile === 'octavia' ? rules : { ...rules, ...PROFILE_RULES[profile] };
}
