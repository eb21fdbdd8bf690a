// The environment the local amphora agent starts with. It is a copy of nothing: `serve` holds
// the secret key, Keystone's password and the database URL, and whatever the agent has its
// HAProxy and keepalived inherit. Only what a process needs to find programs and format text
// passes, plus the agent's own settings (FULCRUM_AGENT_*, e.g. its log level, none of them secret).
const PASSED = new Set(['PATH', 'HOME', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'USER', 'LOGNAME']);

export function agentEnvironment(parent: NodeJS.ProcessEnv, settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value !== undefined && (PASSED.has(name) || name.startsWith('LC_') || name.startsWith('FULCRUM_AGENT_'))) env[name] = value;
  }
  return { ...env, ...settings };
}
