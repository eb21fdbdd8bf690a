// A load balancer's status tree (GET /v2/lbaas/loadbalancers/{id}/status): listeners, their
// pools, each pool's monitor and members, every node colored by its operating status.
import { Badge } from './widgets.tsx';
import { statusTone } from './status.ts';

export interface TreeNode {
  id: string;
  name: string;
  operating_status: string;
  provisioning_status: string;
}
export interface MemberNode extends TreeNode {
  address: string;
  protocol_port: number;
}
export interface PoolNode extends TreeNode {
  health_monitor?: TreeNode & { type: string };
  members: MemberNode[];
}
export interface ListenerNode extends TreeNode {
  pools: PoolNode[];
}
export interface LoadBalancerTree extends TreeNode {
  listeners: ListenerNode[];
}

function Node({ kind, node, label }: { kind: string; node: TreeNode; label?: string }) {
  return (
    <div class={`node tone-border-${statusTone(node.operating_status)}`} data-kind={kind}>
      <span class="kind">{kind}</span>
      <span class="name">{label ?? (node.name || node.id.slice(0, 8))}</span>
      <Badge status={node.operating_status} />
      {node.provisioning_status !== 'ACTIVE' && <Badge status={node.provisioning_status} />}
    </div>
  );
}

export function StatusTree({ tree }: { tree: LoadBalancerTree }) {
  return (
    <ul class="tree" data-testid="status-tree">
      <li>
        <Node kind="load balancer" node={tree} />
        <ul>
          {tree.listeners.map((l) => (
            <li key={l.id}>
              <Node kind="listener" node={l} />
              <ul>
                {l.pools.map((p) => (
                  <li key={p.id}>
                    <Node kind="pool" node={p} />
                    <ul>
                      {p.health_monitor && (
                        <li>
                          <Node kind="monitor" node={p.health_monitor} label={p.health_monitor.name || p.health_monitor.type} />
                        </li>
                      )}
                      {p.members.map((m) => (
                        <li key={m.id}>
                          <Node kind="member" node={m} label={m.name || `${m.address}:${m.protocol_port}`} />
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </li>
    </ul>
  );
}
