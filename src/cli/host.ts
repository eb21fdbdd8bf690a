// `fulcrum host list|show|drain|enable|disable|join` and `fulcrum lb migrate`: the operator's
// inventory commands, over the management API (src/cli/api-client.ts) with the credentials the
// other clients use. `--wait` follows a drain or a migrate until it is done, printing progress.
import { Command, Option } from 'commander';
import type { FulcrumConfig } from '../config.ts';
import { FulcrumError } from '../errors.ts';
import { apiTarget, callApi, withApi, type ApiFlags, type ApiTarget } from './api-client.ts';
import { hostJoinCommand } from './host-join.ts';
import { table } from './network.ts';

interface HostView {
  id: string;
  name: string;
  address: string;
  port: number;
  availability_zone: string | null;
  admin_state: string;
  operating_status: string;
  amphora_count: number;
  capacity: number | null;
  labels: Record<string, string>;
  last_seen_at: string | null;
  certificate_serial: string | null;
  certificate_expires_at: string | null;
  certificate_renewed_at: string | null;
  certificate_renewal_error: string | null;
  amphora_ids?: string[];
}

const POLL_MS = 500;

function target(config: () => FulcrumConfig, flags: ApiFlags): ApiTarget {
  return apiTarget(config(), flags);
}

/** A host by id or by name. */
async function findHost(api: ApiTarget, ref: string): Promise<HostView> {
  const byId = /^[0-9a-f-]{36}$/i.test(ref);
  const list = await callApi<{ hosts: HostView[] }>(api, 'GET', `/v2/fulcrum/hosts?${byId ? 'id' : 'name'}=${encodeURIComponent(ref)}`);
  if (list.hosts.length === 0) throw new FulcrumError('LB_ERR_NOT_FOUND', 1, `no host ${ref}`);
  return (await callApi<{ host: HostView }>(api, 'GET', `/v2/fulcrum/hosts/${list.hosts[0].id}`)).host;
}

function ago(iso: string | null): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`)) / 1000));
  return s < 120 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

/** How long until `iso` (an API time, UTC without the zone). */
function within(iso: string | null): string {
  if (!iso) return '-';
  const s = Math.round((Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`) - Date.now()) / 1000);
  if (s < 0) return `${iso} (EXPIRED)`;
  const left = s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : s < 172_800 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86_400)}d`;
  return `${iso} (in ${left})`;
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',') || '-';
}

export function hostTable(hosts: HostView[]): string {
  return table(
    ['NAME', 'ID', 'ADDRESS', 'AZ', 'ADMIN', 'STATUS', 'AMPHORAE', 'LABELS', 'LAST SEEN'],
    hosts.map((h) => [
      h.name,
      h.id,
      `${h.address}:${h.port}`,
      h.availability_zone ?? '-',
      h.admin_state,
      h.operating_status,
      h.capacity === null ? String(h.amphora_count) : `${h.amphora_count}/${h.capacity}`,
      labelsText(h.labels),
      ago(h.last_seen_at),
    ]),
  );
}

async function setAdminState(api: ApiTarget, ref: string, state: 'ENABLED' | 'DISABLED' | 'DRAINING'): Promise<HostView> {
  const host = await findHost(api, ref);
  return (await callApi<{ host: HostView }>(api, 'PUT', `/v2/fulcrum/hosts/${host.id}`, { host: { admin_state: state } })).host;
}

/** Follows a draining host until it runs no amphora; `timeoutS` bounds the wait. */
async function waitForEmpty(api: ApiTarget, id: string, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  let last = -1;
  for (;;) {
    const host = (await callApi<{ host: HostView }>(api, 'GET', `/v2/fulcrum/hosts/${id}`)).host;
    if (host.amphora_count !== last) console.log(`${new Date().toISOString()}  ${host.name}: ${host.amphora_count} amphorae left`);
    last = host.amphora_count;
    if (host.amphora_count === 0) return;
    if (Date.now() > deadline) throw new FulcrumError('LB_ERR_TIMEOUT', 1, `host ${host.name} still runs ${host.amphora_count} amphorae after ${timeoutS} s (the drain goes on)`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function hostCommand(config: () => FulcrumConfig): Command {
  const command = new Command('host').description('the amphora hosts of the inventory (/v2/fulcrum/hosts)');
  withApi(command.command('list').description('list hosts with their state and load')).action(async (opts: ApiFlags) => {
    const { hosts } = await callApi<{ hosts: HostView[] }>(target(config, opts), 'GET', '/v2/fulcrum/hosts');
    console.log(hosts.length ? hostTable(hosts) : 'no hosts');
  });
  withApi(command.command('show').description('one host, with its amphorae').argument('<host>', 'id or name')).action(async (ref: string, opts: ApiFlags) => {
    const h = await findHost(target(config, opts), ref);
    const rows: [string, string][] = [
      ['id', h.id],
      ['name', h.name],
      ['address', `${h.address}:${h.port}`],
      ['availability_zone', h.availability_zone ?? '-'],
      ['admin_state', h.admin_state],
      ['operating_status', h.operating_status],
      ['capacity', h.capacity === null ? 'unlimited' : String(h.capacity)],
      ['labels', labelsText(h.labels)],
      ['last_seen_at', `${h.last_seen_at ?? 'never'} (${ago(h.last_seen_at)})`],
      ['amphorae', String(h.amphora_count)],
      ...(h.certificate_serial
        ? ([
            ['certificate', h.certificate_serial],
            ['cert_expires_at', within(h.certificate_expires_at)],
            ['cert_renewed_at', h.certificate_renewed_at ?? 'never'],
            ...(h.certificate_renewal_error ? [['cert_renewal_error', h.certificate_renewal_error]] : []),
          ] as [string, string][])
        : []),
    ];
    console.log(rows.map(([k, v]) => `${k.padEnd(18)}${v}`).join('\n'));
    for (const id of h.amphora_ids ?? []) console.log(`  ${id}`);
  });
  withApi(command.command('drain').description('move every amphora off the host (admin_state DRAINING)').argument('<host>', 'id or name'))
    .option('--wait', 'follow the drain until the host is empty')
    .addOption(new Option('--timeout <seconds>', 'how long --wait waits').default('600'))
    .action(async (ref: string, opts: ApiFlags & { wait?: boolean; timeout: string }) => {
      const api = target(config, opts);
      const host = await setAdminState(api, ref, 'DRAINING');
      console.log(`host ${host.name}: DRAINING, ${host.amphora_count} amphorae to move`);
      if (opts.wait) {
        await waitForEmpty(api, host.id, Number(opts.timeout));
        console.log(`host ${host.name} is empty`);
      }
    });
  withApi(command.command('enable').description('let the scheduler place amphorae on the host again').argument('<host>', 'id or name')).action(async (ref: string, opts: ApiFlags) => {
    const host = await setAdminState(target(config, opts), ref, 'ENABLED');
    console.log(`host ${host.name}: ENABLED`);
  });
  withApi(command.command('disable').description('place no new amphorae on the host (those on it stay)').argument('<host>', 'id or name')).action(async (ref: string, opts: ApiFlags) => {
    const host = await setAdminState(target(config, opts), ref, 'DISABLED');
    console.log(`host ${host.name}: DISABLED`);
  });
  command.addCommand(hostJoinCommand());
  return command;
}

interface AmphoraView {
  id: string;
  loadbalancer_id: string;
  status: string;
}

/** `fulcrum lb migrate ID --host H [--wait]`. */
export function addMigrateCommand(lb: Command, config: () => FulcrumConfig): void {
  withApi(lb.command('migrate').description('move a load balancer to another host').argument('<id>', 'load balancer id'))
    .requiredOption('--host <host>', 'target host id or name')
    .option('--amphora <id>', 'for ACTIVE_STANDBY: which amphora of the pair moves')
    .option('--wait', 'follow the migration until the load balancer is ACTIVE again')
    .addOption(new Option('--timeout <seconds>', 'how long --wait waits').default('300'))
    .action(async (id: string, opts: ApiFlags & { host: string; amphora?: string; wait?: boolean; timeout: string }) => {
      const api = target(config, opts);
      const host = await findHost(api, opts.host);
      await callApi(api, 'POST', `/v2/fulcrum/loadbalancers/${id}/migrate`, { host_id: host.id, ...(opts.amphora ? { amphora_id: opts.amphora } : {}) });
      console.log(`load balancer ${id}: migrating to host ${host.name}`);
      if (!opts.wait) return;
      const deadline = Date.now() + Number(opts.timeout) * 1000;
      let last = '';
      for (;;) {
        const { loadbalancer } = await callApi<{ loadbalancer: { provisioning_status: string } }>(api, 'GET', `/v2/lbaas/loadbalancers/${id}`);
        const { amphorae } = await callApi<{ amphorae: AmphoraView[] }>(api, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${id}`);
        const line = `${loadbalancer.provisioning_status}, amphorae: ${amphorae.map((a) => `${a.id.slice(0, 8)} ${a.status}`).join(', ') || '-'}`;
        if (line !== last) console.log(`${new Date().toISOString()}  ${line}`);
        last = line;
        if (loadbalancer.provisioning_status === 'ACTIVE') break;
        if (loadbalancer.provisioning_status === 'ERROR') throw new FulcrumError('LB_ERR_MIGRATE', 1, `the migration of ${id} failed: see GET /v2/fulcrum/jobs?load_balancer_id=${id}`);
        if (Date.now() > deadline) throw new FulcrumError('LB_ERR_TIMEOUT', 1, `load balancer ${id} is still ${loadbalancer.provisioning_status} after ${opts.timeout} s`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const after = await findHost(api, host.id);
      console.log(`load balancer ${id} is ACTIVE; host ${after.name} runs ${after.amphora_count} amphorae`);
    });
}
