// The agent alone, for the controller to start on its host (bin/fulcrum-amphora-agent.js): the
// same command as `fulcrum amphora-agent`, without loading the controller's modules (API,
// database, flows), which halves the CPU time to a listening agent. That time is part of the
// outage when a dead agent has to be started again with its amphorae.
import { amphoraAgentCommand } from './command.ts';

amphoraAgentCommand()
  .name('fulcrum-amphora-agent')
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    console.error(`fulcrum-amphora-agent: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
