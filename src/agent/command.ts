// `fulcrum amphora-agent`: the agent as a long-running process.
import { Command } from 'commander';
import { startAgent } from './agent.ts';
import { EXIT_PROGRAM_MISSING, ProgramMissing } from './errors.ts';
import { agentOptions, type AgentFlags } from './options.ts';

export function amphoraAgentCommand(): Command {
  return new Command('amphora-agent')
    .description('serve the amphora agent API (mutual TLS) for the amphorae on this host')
    .option('--host <address>', 'address to listen on (FULCRUM_AGENT_HOST, default 0.0.0.0)')
    .option('--port <port>', 'port to listen on (FULCRUM_AGENT_PORT, default 9443)')
    .option('--base-dir <dir>', 'one run directory per amphora below it (FULCRUM_AGENT_BASE_DIR, default .fulcrum/amphorae)')
    .option('--ca-cert <file>', 'controller CA certificate, PEM (FULCRUM_AGENT_CA_CERT)')
    .option('--cert <file>', "this agent's server certificate, PEM (FULCRUM_AGENT_CERT)")
    .option('--key <file>', "this agent's private key, PEM (FULCRUM_AGENT_KEY)")
    .option('--heartbeat-file <file>', "where the controller's heartbeat settings are kept (FULCRUM_AGENT_HEARTBEAT_FILE, default heartbeat.json beside the base directory)")
    .option('--log-level <level>', 'FULCRUM_AGENT_LOG_LEVEL, default info')
    .option('--log-offload <target>', 'copy every amphora log message to a syslog collector, udp://host:port or tcp://host:port (FULCRUM_AGENT_LOG_OFFLOAD; framing FULCRUM_AGENT_LOG_OFFLOAD_FORMAT rfc5424 or rfc3164)')
    .action(async (flags: AgentFlags) => {
      const agent = await startAgent(agentOptions(process.env, flags)).catch((err: unknown) => {
        if (!(err instanceof ProgramMissing)) throw err;
        console.error(`fulcrum amphora-agent: ${err.message}`);
        process.exit(EXIT_PROGRAM_MISSING);
      });
      void agent.orphaned.then(() => process.exit(0));
      let stopping = false;
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => {
          if (stopping) return;
          stopping = true;
          agent.close().then(
            () => process.exit(0),
            () => process.exit(1),
          );
        });
      }
    });
}
