// What an inventory host may be called (a joined host's --name, the controller's own
// FULCRUM_HOST_NAME), and the name a machine gives its controller's agent by default.

/** Letters, digits, `_`, `.` and `-`, starting with a letter or digit. */
export const HOST_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
export const HOST_NAME_MAX_LENGTH = 255;

/**
 * The one name every controller's agent was registered under before each machine named its own;
 * the row of an install from then is renamed when its agent registers again (host-store.ts).
 */
export const LEGACY_LOCAL_HOST = 'local';

export function isHostName(name: string): boolean {
  return name.length <= HOST_NAME_MAX_LENGTH && new RegExp(HOST_NAME_PATTERN).test(name);
}

/** The machine's name as a host name: characters a host name cannot hold become `-`. */
export function hostNameOfMachine(machine: string): string {
  const name = machine
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, HOST_NAME_MAX_LENGTH);
  return name || LEGACY_LOCAL_HOST;
}
