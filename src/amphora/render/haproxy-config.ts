// haproxy.cfg for one amphora of a load balancer, after Octavia's amphora templates
// (combined_listeners base.j2 / macros.j2), for HAProxy 2.6 run in master-worker mode by the
// agent (`haproxy -Ws` / `-W -D`; the mode is a command-line choice, not rendered). Pure.
import { LISTENER_TIMEOUT_DEFAULTS } from '../../model/enums.ts';
import type { LbGraph } from '../../model/lb-graph.ts';
import { statsSocketPath, type AmphoraFile } from './amphora-files.ts';
import { checkContext, type AmphoraRenderContext } from './context.ts';
import { renderBackend } from './haproxy-backend.ts';
import { section, type RenderEnv } from './haproxy-env.ts';
import { renderFrontend, routedPools } from './haproxy-frontend.ts';
import { checkId, hostPort } from './haproxy-quote.ts';
import { assertHaproxyCanServe } from './unsupported.ts';
import { globalLogLines, logRingSection } from './haproxy-logging.ts';

/** The request buffer, which bounds the size of a request's headers. */
export const HEADER_BUFFER_BYTES = 16_384;
export const MAX_HEADER_LINES = 100;
import { isDatagramProtocol } from '../../model/protocol-rules.ts';

/** Stick tables of both amphorae replicate through this section (ACTIVE_STANDBY). */
const PEERS_SECTION = 'amphora_peers';

export interface RenderedHaproxy {
  config: string;
  /** Every file the config names, which the agent must write before `haproxy -c`. */
  files: AmphoraFile[];
}

function globalSection(ctx: AmphoraRenderContext): string {
  const lines = [
    `maxconn ${ctx.maxconn}`,
    // Runtime API for the agent (weights, drain, add/remove servers, state dumps).
    `stats socket ${statsSocketPath(ctx.paths)} mode 600 level admin expose-fd listeners`,
    // With the state file dumped before a reload, runtime changes (weights, drain) survive it.
    `server-state-file ${ctx.paths.serverStateFile}`,
    `hard-stop-after ${ctx.hardStopAfterMs}`,
    // Header limits, spelled out: a request whose headers do not fit the buffer, or that has
    // more header lines than this, is refused with 400 before it reaches a member.
    `tune.bufsize ${HEADER_BUFFER_BYTES}`,
    `tune.http.maxhdr ${MAX_HEADER_LINES}`,
  ];
  lines.push(...globalLogLines(ctx));
  if (ctx.topology === 'ACTIVE_STANDBY') lines.push(`localpeer ${ctx.amphoraId}`);
  return section('global', lines);
}

function defaultsSection(ctx: AmphoraRenderContext): string {
  return section('defaults', [
    ...(ctx.log.kind === 'none' ? [] : ['log global']),
    'retries 3',
    'option redispatch',
    'load-server-state-from-file global',
    // For proxies that set none themselves: a frontend without a backend, the peers section.
    `timeout connect ${LISTENER_TIMEOUT_DEFAULTS.timeout_member_connect}`,
    `timeout client ${LISTENER_TIMEOUT_DEFAULTS.timeout_client_data}`,
    `timeout server ${LISTENER_TIMEOUT_DEFAULTS.timeout_member_data}`,
  ]);
}

function peersSection(ctx: AmphoraRenderContext): string {
  const peers = [...ctx.peers].sort((a, b) => a.name.localeCompare(b.name));
  return section(`peers ${PEERS_SECTION}`, peers.map((p) => `peer ${p.name} ${hostPort(p.address, p.port, `peer ${p.name}`)}`));
}

/** The config and the files it names. Throws UnsupportedByHaproxy (501) for what HAProxy cannot serve. */
export function renderHaproxy(graph: LbGraph, ctx: AmphoraRenderContext): RenderedHaproxy {
  checkContext(ctx);
  assertHaproxyCanServe(graph);
  const lb = graph.loadBalancer;
  const env: RenderEnv = { ctx, files: new Map(), peers: ctx.topology === 'ACTIVE_STANDBY' ? PEERS_SECTION : null };
  const pools = new Map(graph.pools.map((p) => [p.id, p]));
  // Stable order, so an unchanged graph renders byte for byte the same config (no needless reload).
  const listeners = graph.listeners.filter((l) => !isDatagramProtocol(l.protocol)).sort((a, b) => a.protocol_port - b.protocol_port || a.id.localeCompare(b.id));
  const proxies = listeners.flatMap((listener) => [
    renderFrontend(listener, pools, lb.admin_state_up && listener.admin_state_up, env, lb),
    ...routedPools(listener, pools).map((pool) => renderBackend(pool, listener, env)),
  ]);
  const header = `# Load balancer ${checkId(lb.id, 'load balancer id')}, amphora ${ctx.amphoraId} (${ctx.topology}). Rendered by Fulcrum.`;
  const ring = logRingSection(ctx);
  const sections = [header, globalSection(ctx), defaultsSection(ctx), ...(ring.length > 0 ? [ring.join('\n')] : []), ...(env.peers ? [peersSection(ctx)] : []), ...proxies];
  return { config: `${sections.join('\n\n')}\n`, files: [...env.files.values()].sort((a, b) => a.path.localeCompare(b.path)) };
}

export function renderHaproxyConfig(graph: LbGraph, ctx: AmphoraRenderContext): string {
  return renderHaproxy(graph, ctx).config;
}
