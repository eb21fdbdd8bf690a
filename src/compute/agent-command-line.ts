// Recognises this host's amphora agent in /proc/<pid>/cmdline: started as `fulcrum
// amphora-agent` (by hand, or by older controllers) or through its own light entry point.
export function isAgentCommandLine(cmdline: string[]): boolean {
  return cmdline.some((arg) => arg === 'amphora-agent' || arg.endsWith('/fulcrum-amphora-agent.js'));
}
