// Delivering one event to one webhook, as a durable flow: the job survives restarts (another
// worker, or this one started again, claims it), each failed attempt is recorded on the
// delivery row and retried after an exponentially growing wait, and after the configured number
// of attempts the delivery is dead-lettered (status `dead`, visible through the API).
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { SecretStore } from '../certs/secret-store.ts';
import { PermanentFailure, type FlowDefinition } from '../flows/flow.ts';
import { DELIVERY_ID_HEADER, EVENT_TYPE_HEADER, retryDelayMs, SIGNATURE_HEADER, signature } from '../model/webhook-rules.ts';
import { eventView } from './event-view.ts';
import { WEBHOOK_DELIVERY, type DeliveryPayload } from './events.ts';
import type { WebhookDeliveryCounts } from './webhook-counters.ts';
import { fetch, type Agent } from 'undici';
import { addressRefusal, literalHost, type WebhookAddressPolicy } from '../model/webhook-addresses.ts';
import { guardedAgent } from './webhook-address-guard.ts';

export interface WebhookDeliverySettings {
  /** Attempts before a delivery is dead-lettered. */
  maxAttempts: number;
  /** The wait after the first failed attempt; it doubles per attempt up to `retryCapMs`. */
  retryBaseMs: number;
  retryCapMs: number;
  /** How long one POST may take, answer included. */
  timeoutMs: number;
  /** Where deliveries may go (FULCRUM_WEBHOOK_DENIED_CIDRS / FULCRUM_WEBHOOK_ALLOWED_CIDRS). */
  addresses: WebhookAddressPolicy;
}

/** The context a webhook's secret is sealed under: it opens only on its own row. */
export function webhookSecretContext(webhookId: string): string {
  return `webhook:${webhookId}`;
}

/** The body a webhook receives for an event (the bytes signed). */
export function deliveryBody(event: ReturnType<typeof eventView>): string {
  return JSON.stringify({ event });
}

interface Attempt {
  ok: boolean;
  status: number | null;
  error: string | null;
}

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, signal: AbortSignal, guard: { policy: WebhookAddressPolicy; agent: Agent }): Promise<Attempt> {
  // A name is checked by the agent's lookup as it connects; an address in the URL has no lookup.
  const literal = literalHost(new URL(url));
  const refusal = literal === null ? null : addressRefusal(literal, guard.policy);
  if (refusal) return { ok: false, status: null, error: refusal };
  try {
    // Redirects are not followed: the signature was made for this URL's owner, and a 3xx from a
    // receiver is a configuration to fix, not a place to send the event on to.
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', dispatcher: guard.agent, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, error: null };
    return { ok: false, status: res.status, error: `the receiver answered ${res.status}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const timedOut = (err as { name?: string }).name === 'TimeoutError';
    const message = timedOut ? `no answer within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
    return { ok: false, status: null, error: message };
  }
}

async function loadDelivery(db: Db, deliveryId: string) {
  return db
    .selectFrom('webhook_delivery as d')
    .innerJoin('webhook as w', 'w.id', 'd.webhook_id')
    .innerJoin('event as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.status', 'd.attempts', 'w.id as webhook_id', 'w.url', 'w.sealed_secret'])
    .select(['e.id as event_id', 'e.type', 'e.severity', 'e.project_id', 'e.load_balancer_id', 'e.detail', 'e.dedupe_key', 'e.created_at'])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
}

export function webhookDeliveryFlow(secrets: SecretStore, settings: WebhookDeliverySettings, counts: WebhookDeliveryCounts): FlowDefinition<DeliveryPayload> {
  const guard = { policy: settings.addresses, agent: guardedAgent(settings.addresses) };
  return {
    kind: WEBHOOK_DELIVERY,
    steps: () => [
      {
        name: 'webhook:post',
        async run({ payload, db, signal }) {
          const d = await loadDelivery(db, payload.delivery_id);
          // Deleted with its webhook, or settled by an earlier run of this step.
          if (d?.status !== 'pending') return;
          const event = eventView({ ...d, id: d.event_id });
          const body = deliveryBody(event);
          const secret = secrets.open(d.sealed_secret, webhookSecretContext(d.webhook_id));
          const headers = {
            'content-type': 'application/json',
            'user-agent': 'fulcrum-webhooks',
            [SIGNATURE_HEADER]: signature(secret, body),
            [DELIVERY_ID_HEADER]: d.id,
            [EVENT_TYPE_HEADER]: event.type,
          };
          const attempt = await post(d.url, headers, body, settings.timeoutMs, signal, guard);
          await db
            .updateTable('webhook_delivery')
            .set({
              attempts: sql`attempts + 1`,
              last_attempt_at: sql`now()`,
              last_status_code: attempt.status,
              ...(attempt.ok ? { status: 'delivered', delivered_at: sql`now()`, last_error: null } : { last_error: attempt.error }),
            })
            .where('id', '=', d.id)
            .execute();
          if (attempt.ok) {
            counts.delivered++;
            return;
          }
          counts.failedAttempts++;
          const message = `webhook ${d.webhook_id}: ${attempt.error}`;
          if (d.attempts + 1 >= settings.maxAttempts) throw new PermanentFailure(`${message} (attempt ${d.attempts + 1} of ${settings.maxAttempts}, giving up)`);
          throw new Error(message);
        },
      },
    ],
    async onFailure(trx, payload, reason) {
      const dead = await trx
        .updateTable('webhook_delivery')
        .set({ status: 'dead', last_error: sql`coalesce(last_error, ${reason})` })
        .where('id', '=', payload.delivery_id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(dead.numUpdatedRows) > 0) counts.deadLettered++;
    },
    retryDelayMs: (attempt) => retryDelayMs(attempt, settings.retryBaseMs, settings.retryCapMs),
  };
}
