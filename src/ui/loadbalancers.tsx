// The tenant's pages: every load balancer the caller may see, and one load balancer in full
// (status tree, traffic, member health, access log, events; failover and drill for operators).
import { useState } from 'preact/hooks';
import { call, get } from './api.ts';
import { lbHref, routeHref } from './route.ts';
import { ago } from './format.ts';
import { usePoll } from './poll.ts';
import { EventList, LogTail } from './activity.tsx';
import { StatusTree, type LoadBalancerTree } from './status-tree.tsx';
import { TrafficPanel } from './traffic.tsx';
import { Badge, Empty, Panel } from './widgets.tsx';

interface LoadBalancer {
  id: string;
  name: string;
  description: string;
  vip_address: string;
  project_id: string;
  provider: string;
  operating_status: string;
  provisioning_status: string;
  created_at: string;
  updated_at: string | null;
}

export function LoadBalancerList() {
  const lbs = usePoll(() => get<{ loadbalancers: LoadBalancer[] }>('/v2/lbaas/loadbalancers'), 4000, 'lbs');
  const now = Date.now();
  return (
    <Panel title="Load balancers" id="loadbalancers" wide error={lbs.error} loading={!lbs.data}>
      {lbs.data && lbs.data.loadbalancers.length === 0 && <Empty>No load balancers yet.</Empty>}
      {lbs.data && lbs.data.loadbalancers.length > 0 && (
        <table data-testid="lb-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>VIP</th>
              <th>Project</th>
              <th>Provisioning</th>
              <th>Operating</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {lbs.data.loadbalancers.map((lb) => (
              <tr key={lb.id} class="link-row" onClick={() => (location.hash = lbHref(lb.id))}>
                <td>
                  <a href={lbHref(lb.id)}>{lb.name || lb.id}</a>
                  <div class="sub mono">{lb.id}</div>
                </td>
                <td class="mono">{lb.vip_address}</td>
                <td class="mono">{lb.project_id}</td>
                <td>
                  <Badge status={lb.provisioning_status} />
                </td>
                <td>
                  <Badge status={lb.operating_status} />
                </td>
                <td title={lb.created_at}>{ago(lb.created_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

interface Listener {
  id: string;
  name: string;
  protocol: string;
  protocol_port: number;
}

export function LoadBalancerPage({ id, operator }: { id: string; operator: boolean }) {
  const lb = usePoll(() => get<{ loadbalancer: LoadBalancer }>(`/v2/lbaas/loadbalancers/${id}`), 3000, `lb-${id}`);
  const tree = usePoll(() => get<{ statuses: { loadbalancer: LoadBalancerTree } }>(`/v2/lbaas/loadbalancers/${id}/status`), 3000, `tree-${id}`);
  const listeners = usePoll(() => get<{ listeners: Listener[] }>(`/v2/lbaas/listeners?loadbalancer_id=${id}`), 10_000, `listeners-${id}`);
  const item = lb.data?.loadbalancer;
  const root = tree.data?.statuses.loadbalancer;
  return (
    <>
      <div class="page-head">
        <div>
          <a href={routeHref({ page: 'loadbalancers' })} class="back">
            ← Load balancers
          </a>
          <h1 data-testid="lb-name">{item ? item.name || item.id : 'Load balancer'}</h1>
          {item && (
            <p class="sub">
              <span class="mono">{item.id}</span> · VIP <span class="mono">{item.vip_address}</span> · project <span class="mono">{item.project_id}</span> · {item.provider}
            </p>
          )}
        </div>
        {item && (
          <div class="head-badges">
            <Badge status={item.provisioning_status} />
            <Badge status={item.operating_status} />
          </div>
        )}
      </div>
      {lb.error && <Panel title="Load balancer" error={lb.error} />}
      {operator && item && <OperatorActions lbId={id} onDone={lb.refresh} />}
      <div class="grid">
        <Panel title="Status tree" id="status" error={tree.error} loading={!root}>
          {root && <StatusTree tree={root} />}
        </Panel>
        <Panel title="Member health" id="members" error={tree.error} loading={!root}>
          {root && <MemberHealth tree={root} />}
        </Panel>
      </div>
      <TrafficPanel lbId={id} listeners={listeners.data?.listeners ?? []} />
      <LogTail lbId={id} />
      <EventList lbId={id} />
    </>
  );
}

function MemberHealth({ tree }: { tree: LoadBalancerTree }) {
  const rows = tree.listeners.flatMap((l) => l.pools.flatMap((p) => p.members.map((m) => ({ pool: p, member: m }))));
  // A pool two listeners use is listed once per member.
  const unique = rows.filter((r, i) => rows.findIndex((o) => o.member.id === r.member.id) === i);
  if (unique.length === 0) return <Empty>No members.</Empty>;
  return (
    <table data-testid="member-table">
      <thead>
        <tr>
          <th>Member</th>
          <th>Pool</th>
          <th>Health</th>
        </tr>
      </thead>
      <tbody>
        {unique.map(({ pool, member }) => (
          <tr key={member.id}>
            <td class="mono">
              {member.address}:{member.protocol_port}
              {member.name && <div class="sub">{member.name}</div>}
            </td>
            <td>{pool.name || pool.id.slice(0, 8)}</td>
            <td>
              <Badge status={member.operating_status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Failover and the failover drill: both replace an amphora for real, so each asks first. */
export function OperatorActions({ lbId, onDone, compact }: { lbId: string; onDone?: () => void; compact?: boolean }) {
  const [message, setMessage] = useState<{ text: string; bad: boolean } | null>(null);
  const act = async (question: string, run: () => Promise<string>) => {
    if (!confirm(question)) return;
    try {
      setMessage({ text: await run(), bad: false });
      onDone?.();
    } catch (err) {
      setMessage({ text: (err as Error).message, bad: true });
    }
  };
  return (
    <div class={compact ? 'toolbar compact' : 'toolbar'}>
      <button
        type="button"
        class={compact ? 'small' : undefined}
        onClick={() =>
          act('Fail this load balancer over to new amphorae?', async () => {
            await call('PUT', `/v2/lbaas/loadbalancers/${lbId}/failover`);
            return 'Failover started.';
          })
        }
      >
        Failover
      </button>
      <button
        type="button"
        class={compact ? 'danger small' : 'danger'}
        onClick={() =>
          act('Run a failover drill? It kills the amphora serving the VIP and measures the outage.', async () => {
            const { drill } = await call<{ drill: { id: string; status: string } }>('POST', `/v2/fulcrum/loadbalancers/${lbId}/drill`);
            return `Drill ${drill.id} ${drill.status.toLowerCase()}.`;
          })
        }
      >
        {compact ? 'Drill' : 'Failover drill'}
      </button>
      {message && <span class={message.bad ? 'toast bad' : 'toast'}>{message.text}</span>}
    </div>
  );
}
