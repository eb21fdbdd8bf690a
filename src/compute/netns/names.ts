// How the netns driver names what it makes. Interface names are limited to 15 characters, and
// everything one driver (or one test) makes starts with its prefix, so `cleanupPrefix` can find
// all of it and nothing else:
//   namespace   <prefix>-<8 hex of the amphora id>    fc-1a2b3c4d
//   host veth   <prefix>v<8 hex of the amphora id>    fcv1a2b3c4d   (eth0 inside the namespace)
//   bridge      <prefix>-br0 unless configured         fc-br0

/** ≤ 6 characters so that `<prefix>-<8 hex>` fits in 15; a letter first, no '-' (see above). */
const PREFIX = /^[a-z][a-z0-9]{0,5}$/;
const INTERFACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const COMPUTE_ID = /^([a-z][a-z0-9]{0,5})-([0-9a-f]{8})$/;

/** The interface an amphora's addresses live on, inside its namespace. */
export const INNER_INTERFACE = 'eth0';

export function assertPrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new Error(`netns name prefix ${JSON.stringify(prefix)} must be 1-6 lowercase letters or digits, starting with a letter`);
  }
}

export function assertInterfaceName(name: string): void {
  if (!INTERFACE.test(name)) throw new Error(`${JSON.stringify(name)} is not a usable interface name (1-15 letters, digits, '_', '.', '-')`);
}

export interface AmphoraNames {
  netns: string;
  veth: string;
}

export function amphoraNames(prefix: string, amphoraId: string): AmphoraNames {
  const hex = amphoraId.replace(/-/g, '').slice(0, 8).toLowerCase();
  if (!/^[0-9a-f]{8}$/.test(hex)) throw new Error(`amphora id ${JSON.stringify(amphoraId)} does not start with 8 hex digits`);
  return { netns: `${prefix}-${hex}`, veth: `${prefix}v${hex}` };
}

/**
 * The names behind a placement's computeId. Read from the id itself rather than from the
 * driver's current prefix, so amphorae made before a prefix change can still be deleted.
 */
export function namesOfComputeId(computeId: string): AmphoraNames {
  const m = COMPUTE_ID.exec(computeId);
  if (!m) throw new Error(`${JSON.stringify(computeId)} is not the name of a netns amphora`);
  return { netns: computeId, veth: `${m[1]}v${m[2]}` };
}
