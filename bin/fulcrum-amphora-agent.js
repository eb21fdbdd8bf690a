#!/usr/bin/env node
// The amphora agent on its own (what `fulcrum amphora-agent` runs, with fewer modules loaded).
import { register } from 'tsx/esm/api';
register();
await import('../src/agent/main.ts');
