#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so `npx fulcrum` works right after `npm ci`.
// `fulcrum host join` runs from the agent bundle when that matches the sources (bin/agent-bundle.js):
// it serves the amphora agent, whose start is part of an outage when the host's service restarts it.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AGENT_BUNDLE_DIR, HOST_JOIN_BUNDLE_FILE, agentBundleStaleness } from './agent-bundle.js';

const [command, subcommand] = process.argv.slice(2);
if (command === 'host' && subcommand === 'join' && agentBundleStaleness() === null) {
  await import(pathToFileURL(join(AGENT_BUNDLE_DIR, HOST_JOIN_BUNDLE_FILE)).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
