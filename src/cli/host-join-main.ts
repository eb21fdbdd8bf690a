// `fulcrum host join` on its own: bin/fulcrum.js runs this (from the agent bundle, see
// src/agent/bundle.ts) instead of the whole command, so a joined host whose service manager
// restarts it loads the agent and the join, not the API, database and flows, before it serves.
import { Command } from 'commander';
import { hostJoinCommand } from './host-join.ts';

const program = new Command('fulcrum');
program.addCommand(new Command('host').addCommand(hostJoinCommand()));
program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`fulcrum: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
