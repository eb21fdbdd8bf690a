// The clients the SOURCE_IP persistence maps of the live table remember (nftables-ruleset.ts),
// read before the table is replaced so that the new table remembers them too: a member change
// elsewhere in the pool must not move every client. Pure.
import { persistenceMapOf, persistenceMaps, type Remembered, type RememberedClient } from '../amphora/render/nftables-ruleset.ts';

interface NftMap {
  map?: {
    name?: string;
    timeout?: number;
    /** `[key, value]`; a key with a timeout is `{ elem: { val, timeout?, expires } }`. */
    elem?: [unknown, unknown][];
  };
}

interface Entry {
  value: string | number;
  expiresS: number;
}

function entries(map: NonNullable<NftMap['map']>): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const pair of map.elem ?? []) {
    if (!Array.isArray(pair) || pair.length !== 2) continue;
    const [key, value] = pair;
    const elem = typeof key === 'object' && key !== null ? (key as { elem?: { val?: unknown; expires?: unknown } }).elem : undefined;
    const client = typeof key === 'string' ? key : elem?.val;
    const expires = typeof elem?.expires === 'number' ? elem.expires : map.timeout;
    if (typeof client !== 'string' || typeof expires !== 'number' || (typeof value !== 'string' && typeof value !== 'number')) continue;
    out.set(client, { value, expiresS: expires });
  }
  return out;
}

/** `nft -j list table inet fulcrum_l4` → remembered clients by address map name. */
export function parseRemembered(json: string): Remembered {
  const items = (JSON.parse(json) as { nftables?: NftMap[] }).nftables ?? [];
  const parts = new Map<string, { address?: Map<string, Entry>; port?: Map<string, Entry> }>();
  for (const item of items) {
    const name = item.map?.name;
    const of = name ? persistenceMapOf(name) : null;
    if (!of) continue;
    const key = persistenceMaps(of.listenerId, of.family).address;
    const both = parts.get(key) ?? {};
    both[of.part] = entries(item.map!);
    parts.set(key, both);
  }
  const remembered = new Map<string, RememberedClient[]>();
  for (const [key, { address, port }] of parts) {
    const clients: RememberedClient[] = [];
    for (const [client, a] of address ?? []) {
      const p = port?.get(client);
      // Both halves are written together; one that expired first leaves nothing to restore.
      if (!p || typeof a.value !== 'string' || typeof p.value !== 'number') continue;
      clients.push({ client, address: a.value, port: p.value, expiresS: Math.min(a.expiresS, p.expiresS) });
    }
    remembered.set(key, clients);
  }
  return remembered;
}
