// Webhook deliveries only to allowed addresses (model/webhook-addresses.ts), checked where the
// connection is made: the HTTP client's own DNS lookup refuses a name that resolves into a
// denied range, so a name that resolved elsewhere when its hook was created (or that changes
// its answer between a check and the connection) cannot reach the denied address.
import { lookup } from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import { Agent } from 'undici';
import { addressRefusal, literalHost, type WebhookAddressPolicy } from '../model/webhook-addresses.ts';

export class DeniedAddress extends Error {
  override readonly name = 'DeniedAddress';
}

/** Why a hook at `rawUrl` may not be delivered to, from its literal address or what its name resolves to now; null when it may (or the name does not resolve yet). */
export async function hostRefusal(rawUrl: string, policy: WebhookAddressPolicy): Promise<string | null> {
  const url = new URL(rawUrl);
  const literal = literalHost(url);
  if (literal !== null) return addressRefusal(literal, policy);
  let addresses: { address: string }[];
  try {
    addresses = await lookupAll(url.hostname, { all: true });
  } catch {
    return null;
  }
  for (const a of addresses) {
    const refusal = addressRefusal(a.address, policy);
    if (refusal) return `${url.hostname} resolves to ${refusal}`;
  }
  return null;
}

/** An HTTP client whose connections go only to addresses the policy allows. */
export function guardedAgent(policy: WebhookAddressPolicy): Agent {
  return new Agent({
    connect: {
      lookup(hostname, options, callback) {
        lookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err, '', 0);
          const list = addresses as unknown as { address: string; family: number }[];
          for (const a of list) {
            const refusal = addressRefusal(a.address, policy);
            if (refusal) return callback(new DeniedAddress(`${hostname} resolves to ${refusal}`), '', 0);
          }
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
          callback(null, list[0].address, list[0].family);
        });
      },
    },
  });
}
