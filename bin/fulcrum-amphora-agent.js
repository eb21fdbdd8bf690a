#!/usr/bin/env node
// The amphora agent on its own (what the controller starts on its host, with fewer modules loaded
// than `fulcrum amphora-agent`): from its bundle when that was built from these very sources
// (bin/agent-bundle.js, src/agent/bundle.ts), else from the TypeScript sources through tsx.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AGENT_BUNDLE_DIR, AGENT_BUNDLE_FILE, agentBundleStaleness } from './agent-bundle.js';

const stale = agentBundleStaleness();
if (stale === null) {
  await import(pathToFileURL(join(AGENT_BUNDLE_DIR, AGENT_BUNDLE_FILE)).href);
} else {
  // In the agent's log: why this start is slower than it could be, and how to fix it.
  console.error(`fulcrum-amphora-agent: ${stale}; running the TypeScript sources ("npm run build:agent" builds the bundle)`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/agent/main.ts');
}
