// Where an amphora lives. A compute driver makes the place (a local process slot, a network
// namespace, later a remote host) and says which amphora agent serves it; the amphora driver
// then talks only to that agent.

export interface VipAddress {
  address: string;
  prefixLength: number;
}

export interface AmphoraSpec {
  amphoraId: string;
  loadBalancerId: string;
  /** The VIP the amphora answers on, and the prefix length of its subnet. */
  vipAddress: string;
  vipPrefixLength: number;
  /** The load balancer's additional VIPs, plugged with the primary one. */
  additionalVips?: VipAddress[];
  /** SINGLE amphorae own the VIP; ACTIVE_STANDBY ones leave it to keepalived. */
  plugVip: boolean;
  /** The amphora's own address on the VIP network (VRRP source), when it needs one. */
  vrrpAddress: string | null;
  /** The agent of the inventory host the scheduler chose, for drivers that place on hosts. */
  hostAgentUrl?: string;
}

export interface AmphoraPlacement {
  /** The driver's handle for the amphora (namespace name, process slot, …). */
  computeId: string;
  /** Base URL of the amphora agent serving it (https://host:port). */
  agentUrl: string;
  /** The network namespace the agent must run the amphora's processes in, if any. */
  netns: string | null;
  /** The interface the VIP lives on, for keepalived. */
  vipInterface: string;
  /** The amphora's management address (for the operator API). */
  lbNetworkIp: string;
  /**
   * The inventory host of the agent, when the driver placed on its own machine's agent. Not
   * found from the agent URL: the controllers' agents of several machines share one loopback URL.
   */
  hostId?: string;
}

export interface ComputeDriver {
  readonly name: string;
  /**
   * Whether the driver runs an amphora on whichever inventory host the scheduler picks
   * (`spec.hostAgentUrl`); the others place on their own (netns: a namespace on this machine).
   */
  readonly placesOnHosts: boolean;
  /** Creates (or finds, when it exists already) the amphora's place. Idempotent. */
  createAmphora(spec: AmphoraSpec): Promise<AmphoraPlacement>;
  /**
   * Gives a running amphora the VIP addresses and announces them, so traffic to them reaches it
   * from now on (an amphora booted with `plugVip: false` taking over from another). Idempotent.
   */
  plugVips(computeId: string, addresses: VipAddress[]): Promise<void>;
  /** Removes it; a missing amphora is not an error. Idempotent. */
  deleteAmphora(amphoraId: string, computeId: string): Promise<void>;
  /** Stops what the driver itself started (not the amphorae: they keep serving). */
  close(): Promise<void>;
}
