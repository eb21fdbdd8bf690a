// The SQL of the figures /metrics exports from the data plane (migration 0022). Like the
// listener statistics (heartbeat-flush-store.ts addCounters), totals grow by what each HAProxy
// worker counted since its figures were last stored; the worker's rows are locked in key order
// first, so a heartbeat that several health managers receive is counted once.
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { figuresIncrement, gaugesOf, type Figures } from '../model/proxy-counters.ts';
import type { ReportedFigures } from './heartbeat-figures.ts';

const keyOf = (r: { amphora_id: string; proxy: string; server: string; epoch: string }) => `${r.amphora_id}/${r.proxy}/${r.server}/${r.epoch}`;

function numbers(json: Record<string, number | string> | null | undefined): Figures {
  const out: Figures = {};
  for (const [k, v] of Object.entries(json ?? {})) out[k] = Number(v);
  return out;
}

export async function addProxyFigures(db: Db, reported: ReportedFigures[]): Promise<void> {
  if (reported.length === 0) return;
  const rows = [...reported].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  const keys = JSON.stringify(rows.map((r) => ({ amphora_id: r.amphora_id, proxy: r.proxy, server: r.server, epoch: r.epoch })));
  await db.transaction().execute(async (trx) => {
    await sql`
      insert into proxy_figures_epoch (amphora_id, proxy, server, epoch)
      select k.amphora_id, k.proxy, k.server, k.epoch from jsonb_to_recordset(${keys}::jsonb) as k(amphora_id uuid, proxy text, server text, epoch text)
      order by 1, 2, 3, 4
      on conflict do nothing`.execute(trx);
    const stored = await sql<{ amphora_id: string; proxy: string; server: string; epoch: string; counters: Record<string, number | string> }>`
      select e.amphora_id, e.proxy, e.server, e.epoch, e.counters
      from proxy_figures_epoch e join jsonb_to_recordset(${keys}::jsonb) as k(amphora_id uuid, proxy text, server text, epoch text)
        on e.amphora_id = k.amphora_id and e.proxy = k.proxy and e.server = k.server and e.epoch = k.epoch
      order by e.amphora_id, e.proxy, e.server, e.epoch
      for update of e`.execute(trx);
    const byKey = new Map(stored.rows.map((s) => [keyOf(s), numbers(s.counters)]));
    const epochs: unknown[] = [];
    const totals: unknown[] = [];
    for (const r of rows) {
      const { increment, stored: next } = figuresIncrement(r.figures, byKey.get(keyOf(r)) ?? {});
      epochs.push({ amphora_id: r.amphora_id, proxy: r.proxy, server: r.server, epoch: r.epoch, counters: next });
      totals.push({
        amphora_id: r.amphora_id,
        proxy: r.proxy,
        server: r.server,
        load_balancer_id: r.load_balancer_id,
        listener_id: r.listener_id,
        pool_id: r.pool_id,
        member_id: r.member_id,
        counters: increment,
        gauges: gaugesOf(r.figures),
      });
    }
    await sql`
      update proxy_figures_epoch e set counters = n.counters, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(epochs)}::jsonb) as n(amphora_id uuid, proxy text, server text, epoch text, counters jsonb)
      where e.amphora_id = n.amphora_id and e.proxy = n.proxy and e.server = n.server and e.epoch = n.epoch`.execute(trx);
    // Two rows of one worker can never be in one batch (a batch has one heartbeat per amphora).
    await sql`
      insert into proxy_figures (amphora_id, proxy, server, load_balancer_id, listener_id, pool_id, member_id, counters, gauges, updated_at)
      select t.amphora_id, t.proxy, t.server, t.load_balancer_id, t.listener_id, t.pool_id, t.member_id, t.counters, t.gauges, now()
      from jsonb_to_recordset(${JSON.stringify(totals)}::jsonb) as t(amphora_id uuid, proxy text, server text, load_balancer_id uuid,
        listener_id uuid, pool_id uuid, member_id uuid, counters jsonb, gauges jsonb)
      order by 1, 2, 3
      on conflict (amphora_id, proxy, server) do update set
        counters = (
          select coalesce(jsonb_object_agg(k, coalesce((proxy_figures.counters ->> k)::bigint, 0) + coalesce((excluded.counters ->> k)::bigint, 0)), '{}'::jsonb)
          from jsonb_object_keys(proxy_figures.counters || excluded.counters) as k
        ),
        gauges = excluded.gauges,
        updated_at = now()`.execute(trx);
  });
}

/**
 * Forgets workers not reported for ten minutes (another manager may still hold an older
 * heartbeat until then) and the totals of listeners, pools and members that are gone.
 */
export async function pruneProxyFigures(db: Db): Promise<void> {
  await sql`delete from proxy_figures_epoch where updated_at < now() - interval '10 minutes'`.execute(db);
  await sql`
    delete from proxy_figures f
    where not exists (select 1 from load_balancer lb where lb.id = f.load_balancer_id and lb.provisioning_status <> 'DELETED')
      or (f.member_id is not null and not exists (select 1 from member m where m.id = f.member_id))
      or (f.pool_id is not null and not exists (select 1 from pool p where p.id = f.pool_id))
      or (f.listener_id is not null and not exists (select 1 from listener l where l.id = f.listener_id))`.execute(db);
}
