// Removing everything made under one name prefix: test teardown, and an operator's way to wipe a
// host's amphorae (and whatever runs in them) after the database that knew them is gone.
import { readdirSync } from 'node:fs';
import { ip, ipBatch, IpCommandError } from './ip-command.ts';
import { assertPrefix } from './names.ts';
import { killNamespaceProcesses, linkExists } from './namespace.ts';

function namespacesWith(prefix: string): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Only the kinds this driver makes: a prefix like `e` must never take `eth0` with it. */
async function linksWith(prefix: string): Promise<string[]> {
  const links = JSON.parse((await ip(['-j', '-d', 'link', 'show'])).stdout) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  return links
    .filter((l) => l.ifname.startsWith(prefix) && ['veth', 'bridge'].includes(l.linkinfo?.info_kind ?? ''))
    .map((l) => l.ifname);
}

export async function cleanupPrefix(prefix: string): Promise<void> {
  assertPrefix(prefix);
  const namespaces = namespacesWith(prefix);
  for (const netns of namespaces) await killNamespaceProcesses(netns);
  await ipBatch(namespaces.map((n) => ['netns', 'del', n]));
  for (const link of await linksWith(prefix)) {
    try {
      await ip(['link', 'del', link]);
    } catch (err) {
      // The peer of a veth deleted a moment ago, or one going with its namespace's teardown.
      if (!(err instanceof IpCommandError) || linkExists(link)) throw err;
    }
  }
  const left = [...namespacesWith(prefix), ...(await linksWith(prefix))];
  if (left.length > 0) throw new Error(`cleanup of prefix ${prefix} left ${left.join(', ')}`);
}
