// The types the amphora provider's modules share (driver, lifecycle, failover, operator flows),
// apart from any of them so none has to import another's implementation for a type.
import type { Db } from '../../db/database.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import type { ComputeDriver } from '../../compute/compute-driver.ts';
import type { SupportQuery } from '../driver.ts';
import type { StatusCallbacks } from '../status-callbacks.ts';
import type { AmphoraAgents } from './amphora-agents.ts';
import type { AmphoraFile } from '../../amphora/render/amphora-files.ts';
import type { L4Plan } from '../../amphora/render/l4-plan.ts';
import type { AmphoraFileContent } from '../../agent/cert-files.ts';

export interface AmphoraRecord {
  id: string;
  role: string | null;
  run_dir: string | null;
  netns: string | null;
  agent_url: string | null;
  vrrp_interface: string | null;
  vrrp_ip: string | null;
  vrrp_id: number | null;
  vrrp_priority: number | null;
}

export interface RenderedAmphora {
  haproxy: string;
  /** The files haproxy.cfg names (certificates by reference), sent along with it. */
  files?: AmphoraFile[];
  keepalived: string | null;
  /** The UDP/SCTP listeners, served by nftables where the amphora has its own namespace. */
  l4: L4Plan;
}

export interface AmphoraDriverDeps {
  db: Db;
  callbacks: StatusCallbacks;
  /** Where amphorae run and how to reach their agents; set up on first use (workers only). */
  dataPlane: { compute(): Promise<ComputeDriver>; agents(): Promise<AmphoraAgents> };
  /** `peers`: the load balancer's other live amphorae (an ACTIVE_STANDBY amphora's VRRP peer). */
  render(graph: LbGraph, amphora: AmphoraRecord, peers: AmphoraRecord[]): RenderedAmphora;
  /** The contents of rendered files: certificate references opened from the store. */
  fileContents(files: AmphoraFile[]): Promise<AmphoraFileContent[]>;
  /** Why a listener cannot be served on this compute driver, or null (UDP/SCTP need netns, …). */
  unsupported(query: SupportQuery, computeDriver: string): string | null;
  /** The configured compute driver's name: it decides which topologies can be placed. */
  computeDriver: string;
}
