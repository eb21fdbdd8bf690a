// `fulcrum agent-bundle build`: bundles the amphora agent into dist/agent (npm's `prepare` runs
// it, so `npm ci` leaves an agent that starts without compiling TypeScript).
import { Command } from 'commander';
import { AGENT_BUNDLE_DIR } from '../../bin/agent-bundle.js';
import { buildAgentBundle } from '../agent/bundle.ts';

export function agentBundleCommand(): Command {
  const command = new Command('agent-bundle').description('the amphora agent as one JavaScript file, which starts faster than its sources');
  command
    .command('build')
    .description('build the agent bundle into dist/agent (replacing a previous build)')
    .action(async () => {
      const manifest = await buildAgentBundle();
      console.log(`amphora agent bundled in ${AGENT_BUNDLE_DIR} from ${manifest.inputs.length} files`);
    });
  return command;
}
