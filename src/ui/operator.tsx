// The operator's page: hosts, amphorae (with failover and drill of the load balancer each
// serves), jobs, circuit breakers, health managers and every event. Administrators only.
import { useState } from 'preact/hooks';
import { call, get } from './api.ts';
import { lbHref } from './route.ts';
import { ago, jobLabel, nonZeroCounters, shortId } from './format.ts';
import { usePoll } from './poll.ts';
import { EventList } from './activity.tsx';
import { OperatorActions } from './loadbalancers.tsx';
import { hostTone } from './status.ts';
import { Badge, Empty, Panel } from './widgets.tsx';

interface Host {
  id: string;
  name: string;
  address: string;
  port: number;
  availability_zone: string | null;
  admin_state: string;
  operating_status: string;
  amphora_count: number;
  capacity: number | null;
  labels: Record<string, string> | null;
  last_seen_at: string | null;
}

function Hosts() {
  const hosts = usePoll(() => get<{ hosts: Host[] }>('/v2/fulcrum/hosts'), 5000, 'hosts');
  const now = Date.now();
  return (
    <Panel title="Hosts" id="hosts" wide error={hosts.error} loading={!hosts.data}>
      {hosts.data && hosts.data.hosts.length === 0 && <Empty>No hosts registered.</Empty>}
      {hosts.data && hosts.data.hosts.length > 0 && (
        <table data-testid="host-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Address</th>
              <th>Zone</th>
              <th>Admin</th>
              <th>Status</th>
              <th class="num">Amphorae</th>
              <th>Labels</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {hosts.data.hosts.map((h) => (
              <tr key={h.id}>
                <td>{h.name}</td>
                <td class="mono">
                  {h.address}:{h.port}
                </td>
                <td>{h.availability_zone ?? '-'}</td>
                <td>
                  <Badge status={h.admin_state} />
                </td>
                <td>
                  <Badge status={h.operating_status} tone={hostTone(h.operating_status)} />
                </td>
                <td class="num">
                  {h.amphora_count}
                  {h.capacity ? ` / ${h.capacity}` : ''}
                </td>
                <td class="detail">
                  {Object.entries(h.labels ?? {})
                    .map(([k, v]) => `${k}=${v}`)
                    .join(', ') || '-'}
                </td>
                <td>{ago(h.last_seen_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

interface Amphora {
  id: string;
  loadbalancer_id: string | null;
  compute_id: string | null;
  lb_network_ip: string | null;
  ha_ip: string | null;
  role: string | null;
  status: string;
  cert_expiration: string | null;
  created_at: string;
}

function Amphorae() {
  const amphorae = usePoll(() => get<{ amphorae: Amphora[] }>('/v2/octavia/amphorae'), 4000, 'amphorae');
  const now = Date.now();
  return (
    <Panel title="Amphorae" id="amphorae" wide error={amphorae.error} loading={!amphorae.data}>
      {amphorae.data && amphorae.data.amphorae.length === 0 && <Empty>No amphorae.</Empty>}
      {amphorae.data && amphorae.data.amphorae.length > 0 && (
        <table data-testid="amphora-table">
          <thead>
            <tr>
              <th>Amphora</th>
              <th>Load balancer</th>
              <th>Role</th>
              <th>Status</th>
              <th>Management address</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {amphorae.data.amphorae.map((a) => (
              <tr key={a.id}>
                <td class="mono" title={a.id}>
                  {a.id}
                </td>
                <td>{a.loadbalancer_id ? <a href={lbHref(a.loadbalancer_id)}>{shortId(a.loadbalancer_id)}</a> : 'spare'}</td>
                <td>{a.role ?? '-'}</td>
                <td>
                  <Badge status={a.status} />
                </td>
                <td class="mono">{a.lb_network_ip ?? '-'}</td>
                <td>{ago(a.created_at, now)}</td>
                <td>{a.loadbalancer_id && <OperatorActions lbId={a.loadbalancer_id} onDone={amphorae.refresh} compact />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

interface Job {
  id: string;
  kind: string;
  state: string;
  phase: string;
  load_balancer_id: string | null;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  operation: unknown;
  created_at: string;
  updated_at: string | null;
}

function Jobs() {
  // The newest first: the list is sorted by id, which grows with every job.
  const jobs = usePoll(() => get<{ jobs: Job[] }>('/v2/fulcrum/jobs?sort=id:desc&limit=15'), 4000, 'jobs');
  const now = Date.now();
  return (
    <Panel title="Jobs" id="jobs" wide error={jobs.error} loading={!jobs.data}>
      {jobs.data && jobs.data.jobs.length === 0 && <Empty>No jobs.</Empty>}
      {jobs.data && jobs.data.jobs.length > 0 && (
        <table data-testid="job-table">
          <thead>
            <tr>
              <th class="num">Id</th>
              <th>Operation</th>
              <th>State</th>
              <th>Load balancer</th>
              <th class="num">Attempts</th>
              <th>Last error</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.jobs.map((j) => (
              <tr key={j.id}>
                <td class="num">{j.id}</td>
                <td>
                  {jobLabel(j.kind, j.operation)}
                  <div class="sub mono">{j.kind}</div>
                </td>
                <td>
                  <Badge status={j.state} />
                </td>
                <td>{j.load_balancer_id ? <a href={lbHref(j.load_balancer_id)}>{shortId(j.load_balancer_id)}</a> : '-'}</td>
                <td class="num">
                  {j.attempts}/{j.max_attempts}
                </td>
                <td class="detail">{j.last_error ?? ''}</td>
                <td>{ago(j.updated_at ?? j.created_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

interface Breaker {
  domain: string;
  open: boolean;
  reason: string | null;
  silent: number;
  total: number;
  opened_at: string | null;
}

function CircuitBreakers() {
  const breakers = usePoll(() => get<{ circuit_breakers: Breaker[] }>('/v2/fulcrum/health/circuit-breakers'), 5000, 'breakers');
  const [problem, setProblem] = useState<string | null>(null);
  const reset = async (domain: string) => {
    if (!confirm(`Reset the circuit breaker of ${domain}? The amphorae silent now may then be failed over.`)) return;
    try {
      await call('POST', '/v2/fulcrum/health/circuit-breakers/reset', { circuit_breaker: { domain } });
      setProblem(null);
      breakers.refresh();
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return (
    <Panel title="Circuit breakers" id="breakers" error={breakers.error} loading={!breakers.data}>
      {problem && <p class="note error">{problem}</p>}
      {breakers.data && breakers.data.circuit_breakers.length === 0 && <Empty>No failure domain has tripped a breaker.</Empty>}
      {breakers.data && breakers.data.circuit_breakers.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Domain</th>
              <th>State</th>
              <th class="num">Silent</th>
              <th>Reason</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {breakers.data.circuit_breakers.map((b) => (
              <tr key={b.domain}>
                <td class="mono">{b.domain}</td>
                <td>
                  <Badge status={b.open ? 'open' : 'closed'} />
                </td>
                <td class="num">
                  {b.silent}/{b.total}
                </td>
                <td class="detail">{b.reason ?? ''}</td>
                <td>
                  {b.open && (
                    <button type="button" class="small" onClick={() => reset(b.domain)}>
                      Reset
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

interface Manager {
  id: string;
  address: string;
  heartbeats: Record<string, number>;
  alive_at: string | null;
}

function HealthManagers() {
  const managers = usePoll(() => get<{ health_managers: Manager[] }>('/v2/fulcrum/health/managers'), 5000, 'managers');
  const now = Date.now();
  return (
    <Panel title="Health managers" id="managers" error={managers.error} loading={!managers.data}>
      {managers.data && managers.data.health_managers.length === 0 && <Empty>No health manager is running.</Empty>}
      {managers.data && managers.data.health_managers.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Address</th>
              <th>Heartbeats</th>
              <th>Alive</th>
            </tr>
          </thead>
          <tbody>
            {managers.data.health_managers.map((m) => (
              <tr key={m.id}>
                <td class="mono">{m.address}</td>
                <td class="detail">{nonZeroCounters(m.heartbeats) || 'none yet'}</td>
                <td>{ago(m.alive_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function OperatorPage() {
  return (
    <>
      <div class="page-head">
        <h1>Operations</h1>
      </div>
      <Amphorae />
      <Hosts />
      <div class="grid">
        <CircuitBreakers />
        <HealthManagers />
      </div>
      <Jobs />
      <EventList />
    </>
  );
}
