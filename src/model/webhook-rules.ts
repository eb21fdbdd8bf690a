// Webhooks: which URLs are accepted, which events a hook receives, and how a delivery is signed
// and identified. Pure: no I/O (the HMAC is computation only).
import { createHmac } from 'node:crypto';
import { isEventType } from './event-types.ts';

export const SIGNATURE_HEADER = 'X-Fulcrum-Signature';
/** The delivery's id: the same on every attempt, so a receiver can drop a repeat. */
export const DELIVERY_ID_HEADER = 'X-Fulcrum-Delivery';
export const EVENT_TYPE_HEADER = 'X-Fulcrum-Event';

/** The problem with `raw` as a webhook URL, or null when it is acceptable. */
export function webhookUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `'${raw}' is not a valid URL.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `Webhook URLs must use http or https, not ${url.protocol.replace(/:$/, '')}.`;
  if (!url.hostname) return 'A webhook URL must name a host.';
  // Credentials in the URL would be stored and shown in the clear; the secret is the credential.
  if (url.username || url.password) return 'A webhook URL must not carry a user name or password; the secret authenticates deliveries.';
  if (url.hash) return 'A webhook URL must not have a fragment.';
  return null;
}

/** The names in `types` that are not event types. */
export function unknownEventTypes(types: string[]): string[] {
  return types.filter((t) => !isEventType(t));
}

/** Whether a hook (its project, null for every project; its types, empty for all) receives an event. */
export function hookMatches(hook: { project_id: string | null; event_types: string[] }, event: { project_id: string | null; type: string }): boolean {
  if (hook.project_id !== null && hook.project_id !== event.project_id) return false;
  return hook.event_types.length === 0 || hook.event_types.includes(event.type);
}

/** `sha256=<hex HMAC-SHA256(secret, body)>`: over the exact bytes sent. */
export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The wait before attempt `attempt + 1`, after `attempt` failed ones: doubling from `baseMs`, at most `capMs`. */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
