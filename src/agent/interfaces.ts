// The addresses inside an amphora's network namespace (the host's when it has none), from
// `ip -j addr`, so the controller can check that the VIP and VRRP addresses are where it put them.
import { run } from './process-runner.ts';

export interface InterfaceAddress {
  family: 'inet' | 'inet6';
  address: string;
  prefixlen: number;
}

export interface NetworkInterface {
  name: string;
  state: string;
  mac: string | null;
  mtu: number;
  addresses: InterfaceAddress[];
}

interface IpAddrJson {
  ifname: string;
  operstate: string;
  address?: string;
  mtu: number;
  addr_info?: { family: 'inet' | 'inet6'; local: string; prefixlen: number }[];
}

export async function listInterfaces(netns: string | null): Promise<NetworkInterface[]> {
  const result = await run(netns, 'ip', ['-j', 'addr', 'show']);
  if (result.code !== 0) throw new Error(`ip addr failed${netns ? ` in network namespace ${netns}` : ''}: ${result.stderr.trim()}`);
  return (JSON.parse(result.stdout) as IpAddrJson[]).map((link) => ({
    name: link.ifname,
    state: link.operstate,
    mac: link.address ?? null,
    mtu: link.mtu,
    addresses: (link.addr_info ?? []).map((a) => ({ family: a.family, address: a.local, prefixlen: a.prefixlen })),
  }));
}
