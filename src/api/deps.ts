// What the API needs from the rest of the process.
import type { FulcrumConfig } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProviderRegistry } from '../providers/driver.ts';
import type { NetworkDriver } from '../network/network-driver.ts';
import type { AmphoraAgents } from '../providers/amphora/amphora-agents.ts';

export interface ApiDeps {
  config: FulcrumConfig;
  database: Database;
  providers: ProviderRegistry;
  network: NetworkDriver;
  log: Logger;
  /** The amphora agents' clients (set up on first use), for what the API reads from them: access logs. */
  agents: () => Promise<AmphoraAgents>;
}
