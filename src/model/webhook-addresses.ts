// Which addresses webhook deliveries may reach (FULCRUM_WEBHOOK_DENIED_CIDRS and
// FULCRUM_WEBHOOK_ALLOWED_CIDRS): a tenant's hook URL must not make Fulcrum's workers a way
// into what only they can reach, above all the cloud's metadata service on 169.254.169.254.
// Pure: the resolving is done by the caller (observability/webhook-address-guard.ts).
import { isIP } from 'node:net';
import { bigIntToAddress, cidrContains, cidrFamily, v6ToBigInt } from './cidr.ts';

export interface WebhookAddressPolicy {
  denied: readonly string[];
  /** Exceptions to `denied`: an address inside one of these is allowed even in a denied range. */
  allowed: readonly string[];
}

/**
 * Link-local (the metadata services live there, IPv4 and IPv6) and the "this host" addresses
 * (0.0.0.0 and :: reach the local host on Linux). Loopback and private ranges stay allowed:
 * the embedded deployment's receivers are often on the same host or network; an operator with
 * untrusted tenants adds them (README, "Events and webhooks").
 */
export const DEFAULT_DENIED_CIDRS: readonly string[] = ['169.254.0.0/16', 'fe80::/10', '0.0.0.0/8', '::/128'];

/** The CIDRs of `raw` (comma-separated, or `none`), or a problem naming the bad entry. */
export function parseCidrList(raw: string): string[] | { problem: string } {
  if (raw.trim() === 'none') return [];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = items.find((c) => cidrFamily(c) === 0);
  return bad === undefined ? items : { problem: `'${bad}' is not a CIDR such as 10.0.0.0/8 or fd00::/8` };
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d, in any spelling) as the IPv4 address it stands for. */
function effectiveAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 6) return bare;
  const value = v6ToBigInt(bare);
  return value >> 32n === 0xffffn ? bigIntToAddress(value & 0xffffffffn, 4) : bare;
}

/** Why a delivery may not go to `address` (an IP address), or null when it may. */
export function addressRefusal(address: string, policy: WebhookAddressPolicy): string | null {
  const ip = effectiveAddress(address);
  if (isIP(ip) === 0) return null;
  if (policy.allowed.some((c) => cidrContains(c, ip))) return null;
  const range = policy.denied.find((c) => cidrContains(c, ip));
  return range ? `${ip} is in ${range}, where webhooks may not be delivered (FULCRUM_WEBHOOK_DENIED_CIDRS)` : null;
}

/** The URL's host when it is an IP address (in the form the URL parser gave it), else null. */
export function literalHost(url: URL): string | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) === 0 ? null : host;
}
