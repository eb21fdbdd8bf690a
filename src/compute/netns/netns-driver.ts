// The netns compute driver: each amphora is a network namespace with a veth (`eth0` inside) on a
// Linux bridge. One host agent serves them all, running each amphora's processes with
// `ip netns exec`; this driver only makes and removes the places. Needs root.
import type { AmphoraPlacement, AmphoraSpec, ComputeDriver, VipAddress } from '../compute-driver.ts';
import { amphoraNames, assertInterfaceName, assertPrefix, INNER_INTERFACE, namesOfComputeId } from './names.ts';
import { addAddresses, checkedCidr, parseCidr, plugNamespace, removeNamespace, type Cidr } from './namespace.ts';

export { cleanupPrefix } from './cleanup.ts';

export interface NetnsComputeOptions {
  /** Base URL of the host's amphora agent, returned in every placement. */
  agentUrl: string;
  /** The inventory host of that agent, returned in every placement. */
  hostId?: string;
  /** Starts every name this driver makes (see names.ts); default `fc`. */
  prefix?: string;
  /** Default `<prefix>-br0`; created (and brought up) when missing. */
  bridge?: string;
  /**
   * The host's address on the bridge, e.g. a gateway of the VIP subnet (`10.213.0.1/16`): lets
   * the host reach the VIPs, and becomes the amphorae's default route. Without it the bridge is
   * pure L2 and the amphorae get no default route.
   */
  bridgeAddress?: string | null;
}

export class NetnsComputeDriver implements ComputeDriver {
  readonly name = 'netns';
  // Its namespaces live on this machine's bridge, served by this machine's agent.
  readonly placesOnHosts = false;
  readonly #agentUrl: string;
  readonly #hostId: string | undefined;
  readonly #prefix: string;
  readonly #bridge: string;
  readonly #bridgeAddress: Cidr | null;

  constructor(options: NetnsComputeOptions) {
    this.#prefix = options.prefix ?? 'fc';
    assertPrefix(this.#prefix);
    this.#bridge = options.bridge ?? `${this.#prefix}-br0`;
    assertInterfaceName(this.#bridge);
    this.#bridgeAddress = options.bridgeAddress ? parseCidr(options.bridgeAddress) : null;
    this.#agentUrl = options.agentUrl;
    this.#hostId = options.hostId;
  }

  async createAmphora(spec: AmphoraSpec): Promise<AmphoraPlacement> {
    const { netns, veth } = amphoraNames(this.#prefix, spec.amphoraId);
    const addresses: Cidr[] = [];
    // VRRP address first: it is the one the kernel picks as source for the amphora's own traffic.
    if (spec.vrrpAddress) addresses.push(checkedCidr(spec.vrrpAddress, spec.vipPrefixLength));
    // With ACTIVE_STANDBY keepalived adds the VIP on the MASTER only.
    if (spec.plugVip) {
      addresses.push(checkedCidr(spec.vipAddress, spec.vipPrefixLength));
      for (const vip of spec.additionalVips ?? []) addresses.push(checkedCidr(vip.address, vip.prefixLength));
    }
    await plugNamespace({
      netns,
      veth,
      bridge: this.#bridge,
      bridgeAddress: this.#bridgeAddress,
      owner: spec.amphoraId,
      addresses,
      gateway: this.#bridgeAddress?.address ?? null,
    });
    return {
      computeId: netns,
      agentUrl: this.#agentUrl,
      ...(this.#hostId === undefined ? {} : { hostId: this.#hostId }),
      netns,
      vipInterface: INNER_INTERFACE,
      lbNetworkIp: spec.vrrpAddress ?? spec.vipAddress,
    };
  }

  async plugVips(computeId: string, addresses: VipAddress[]): Promise<void> {
    const { netns } = namesOfComputeId(computeId);
    await addAddresses(netns, addresses.map((a) => checkedCidr(a.address, a.prefixLength)));
  }

  async deleteAmphora(_amphoraId: string, computeId: string): Promise<void> {
    const { netns, veth } = namesOfComputeId(computeId);
    await removeNamespace(netns, veth);
  }

  async close(): Promise<void> {}
}
