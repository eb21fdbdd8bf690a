// Changes HAProxy can take through its runtime API instead of a reload (docs/dataplane.md §4:
// ~20 µs a command, traffic follows from the next request). Pure: from the operation and the
// graph it will be applied to, the commands, or null when only a reload will do.
import { backendName } from '../../amphora/render/haproxy-backend.ts';
import { routedPools } from '../../amphora/render/haproxy-frontend.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { ProviderOperation } from '../../model/operation.ts';
import { isDatagramProtocol } from '../../model/protocol-rules.ts';

/** Member fields that touch nothing HAProxy must re-read, or only what `set server` sets. */
const RUNTIME_MEMBER_FIELDS = new Set(['weight', 'admin_state_up', 'name', 'tags']);

export function runtimeCommands(op: ProviderOperation, graph: LbGraph): string[] | null {
  if (op.target.type !== 'member' || op.action !== 'update' || !op.changes) return null;
  if (!Object.keys(op.changes).every((k) => RUNTIME_MEMBER_FIELDS.has(k))) return null;
  const pool = graph.pools.find((p) => p.members.some((m) => m.id === op.target.id));
  const member = pool?.members.find((m) => m.id === op.target.id);
  if (!pool || !member) return null;
  const pools = new Map(graph.pools.map((p) => [p.id, p]));
  const commands: string[] = [];
  for (const listener of graph.listeners) {
    // UDP and SCTP members are nftables' (docs/dataplane.md §10): HAProxy has no server for them.
    if (isDatagramProtocol(listener.protocol)) continue;
    if (!routedPools(listener, pools).some((p) => p.id === pool.id)) continue;
    const server = `${backendName(pool.id, listener.id)}/${member.id}`;
    if ('weight' in op.changes) commands.push(`set server ${server} weight ${member.weight}`);
    if ('admin_state_up' in op.changes) commands.push(`set server ${server} state ${member.admin_state_up ? 'ready' : 'maint'}`);
  }
  return commands;
}
