// The fully-populated LB create's plan: pool definitions versus name references, the
// reference's error texts, protocol and port checks across the tree, positions and counts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isPoolDefinition, hasTree, planLbTree } from '../../src/model/lb-tree.ts';
import { FulcrumError } from '../../src/errors.ts';

function ids() {
  let n = 0;
  return () => `id-${++n}`;
}

const plan = (tree: Parameters<typeof planLbTree>[0]) => planLbTree(tree, ids());

function rejects(tree: Parameters<typeof planLbTree>[0], status: number, message: string): void {
  assert.throws(
    () => plan(tree),
    (err: unknown) => err instanceof FulcrumError && err.status === status && err.message === message,
  );
}

/** The example request of docs/octavia-compatibility.md §5.2, below the load balancer. */
const EXAMPLE = {
  listeners: [
    {
      name: 'http',
      protocol: 'HTTP',
      protocol_port: 80,
      default_pool: {
        name: 'rr',
        protocol: 'HTTP',
        lb_algorithm: 'ROUND_ROBIN',
        healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 2, url_path: '/healthz' },
        members: [
          { address: '192.0.2.16', protocol_port: 80 },
          { address: '192.0.2.19', protocol_port: 80 },
        ],
      },
      l7policies: [
        {
          name: 'api',
          action: 'REDIRECT_TO_POOL',
          redirect_pool: { name: 'api-pool' },
          rules: [{ type: 'PATH', compare_type: 'STARTS_WITH', value: '/api' }],
        },
      ],
    },
  ],
  pools: [{ name: 'api-pool', protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS', session_persistence: { type: 'APP_COOKIE', cookie_name: 'sess' } }],
};

describe('isPoolDefinition (Octavia: more than three keys once defaults are filled)', () => {
  test('name alone, or with admin_state_up / tls_enabled, is a reference', () => {
    assert.equal(isPoolDefinition({ name: 'p' }), false);
    assert.equal(isPoolDefinition({ name: 'p', admin_state_up: true, tls_enabled: false } as never), false);
  });
  test('any other key makes a definition', () => {
    assert.equal(isPoolDefinition({ name: 'p', protocol: 'HTTP' }), true);
    assert.equal(isPoolDefinition({ name: 'p', description: 'x' } as never), true);
  });
});

describe('planLbTree', () => {
  test('the §5.2 example: top-level pools first, references resolved to ids, counts per type', () => {
    const p = plan(EXAMPLE);
    assert.deepEqual(
      p.pools.map((pool) => pool.name),
      ['api-pool', 'rr'],
    );
    const [api, rr] = p.pools;
    const [listener] = p.listeners;
    assert.equal(listener.defaultPoolId, rr.id);
    assert.equal(listener.policies[0].redirectPoolId, api.id);
    assert.equal(listener.policies[0].position, 1);
    assert.equal(listener.policies[0].rules.length, 1);
    assert.deepEqual(p.counts, { listener: 1, pool: 2, member: 2, healthmonitor: 1, l7policy: 1, l7rule: 1 });
    const all = [...p.pools.map((x) => x.id), listener.id, listener.policies[0].id, listener.policies[0].rules[0].id];
    assert.equal(new Set(all).size, all.length, 'every object gets its own id');
  });

  test('a pool defined as one listener default may be referenced by name from another listener', () => {
    const p = plan({
      listeners: [
        { protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'shared', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } },
        { protocol: 'TCP', protocol_port: 81, default_pool: { name: 'shared' } },
      ],
    });
    assert.equal(p.pools.length, 1);
    assert.equal(p.listeners[0].defaultPoolId, p.pools[0].id);
    assert.equal(p.listeners[1].defaultPoolId, p.pools[0].id);
  });

  test('a redirect pool may be the full definition', () => {
    const p = plan({
      listeners: [
        {
          protocol: 'HTTP',
          protocol_port: 80,
          l7policies: [{ redirect_pool: { name: 'r', protocol: 'PROXY', lb_algorithm: 'SOURCE_IP' } }, { redirect_pool: { name: 'r' } }],
        },
      ],
    });
    assert.equal(p.pools.length, 1);
    assert.deepEqual(
      p.listeners[0].policies.map((x) => x.redirectPoolId),
      [p.pools[0].id, p.pools[0].id],
    );
  });

  test('policy positions are placed in turn and made dense', () => {
    const p = plan({
      listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ name: 'a' }, { name: 'b', position: 1 }, { name: 'c', position: 99 }] as never }],
    });
    assert.deepEqual(
      p.listeners[0].policies.map((x) => [(x.spec as { name: string }).name, x.position]),
      [
        ['a', 2],
        ['b', 1],
        ['c', 3],
      ],
    );
  });

  test('every embedded pool must be named', () => {
    const msg = 'Validation failure: Pools must be named when creating a fully populated loadbalancer.';
    rejects({ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }] }, 400, msg);
    rejects({ listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ redirect_pool: { name: '' } }] }] }, 400, msg);
    rejects({ pools: [{ protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }] }, 400, msg);
  });

  test('a pool is defined once', () => {
    rejects(
      {
        listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
        pools: [{ name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' }],
      },
      400,
      'Validation failure: Pool names must be unique when creating a fully populated loadbalancer.',
    );
  });

  test('a reference needs a definition', () => {
    rejects(
      { listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'ghost' } }] },
      400,
      "Validation failure: Pool 'ghost' was referenced but no full definition was found.",
    );
  });

  test('a definition needs protocol and lb_algorithm', () => {
    rejects({ pools: [{ name: 'p', lb_algorithm: 'ROUND_ROBIN' }] }, 400, "Validation failure: Pool definition for 'p' missing required attribute: protocol");
    rejects({ pools: [{ name: 'p', protocol: 'HTTP' }] }, 400, "Validation failure: Pool definition for 'p' missing required attribute: lb_algorithm");
    // A top-level pool with only a name is a definition too, so it lacks its protocol.
    rejects({ pools: [{ name: 'p' }] }, 400, "Validation failure: Pool definition for 'p' missing required attribute: protocol");
  });

  test('listener and pool protocols must fit (§6.1), for default and redirect pools', () => {
    const msg = "Validation failure: The pool protocol 'UDP' is invalid while the listener protocol is 'HTTP'.";
    const pools = [{ name: 'u', protocol: 'UDP', lb_algorithm: 'ROUND_ROBIN' }];
    rejects({ pools, listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'u' } }] }, 400, msg);
    rejects({ pools, listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ redirect_pool: { name: 'u' } }] }] }, 400, msg);
  });

  test('PROMETHEUS listeners take no L7 policies', () => {
    rejects({ listeners: [{ protocol: 'PROMETHEUS', protocol_port: 9100, l7policies: [{}] }] }, 400, 'Protocol PROMETHEUS listeners cannot have child objects.');
  });

  test('listener ports are unique per port space within the tree (409)', () => {
    rejects(
      { listeners: [{ protocol: 'HTTP', protocol_port: 80 }, { protocol: 'TCP', protocol_port: 80 }] },
      409,
      'Another Listener on this Load Balancer is already using protocol TCP and protocol_port 80',
    );
    assert.equal(plan({ listeners: [{ protocol: 'TCP', protocol_port: 80 }, { protocol: 'UDP', protocol_port: 80 }] }).listeners.length, 2);
  });

  test('pools named by id cannot be on a new load balancer (404)', () => {
    const id = '11111111-1111-4111-8111-111111111111';
    rejects({ listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool_id: id }] }, 404, `Pool ${id} not found.`);
    rejects({ listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ redirect_pool_id: id }] }] }, 404, `Pool ${id} not found.`);
  });

  test('at most 50 rules a policy (409)', () => {
    const rules = Array.from({ length: 51 }, () => ({}));
    assert.throws(
      () => plan({ listeners: [{ protocol: 'HTTP', protocol_port: 80, l7policies: [{ rules }] }] }),
      (err: unknown) => err instanceof FulcrumError && err.status === 409 && /^Too many rules on L7 policy id-\d+$/.test(err.message),
    );
  });

  test('hasTree', () => {
    assert.equal(hasTree({}), false);
    assert.equal(hasTree({ listeners: [], pools: [] }), false);
    assert.equal(hasTree({ pools: [{ name: 'p' }] }), true);
  });
});
