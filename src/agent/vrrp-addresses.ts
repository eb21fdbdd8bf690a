// The addresses a keepalived.conf has keepalived place on the MASTER (`virtual_ipaddress` and
// `virtual_ipaddress_excluded` blocks, one `<address>/<len> dev <interface>` a line), so the
// agent can take them away when keepalived dies without doing so itself. Pure.

export interface PlacedAddress {
  cidr: string;
  dev: string;
}

const BLOCK = /^\s*virtual_ipaddress(?:_excluded)?\s*\{\s*$/;
const LINE = /^\s*(\S+\/\d{1,3})\s+dev\s+([A-Za-z0-9_.-]{1,15})\s*$/;

export function placedAddresses(config: string): PlacedAddress[] {
  const found: PlacedAddress[] = [];
  let inside = false;
  for (const line of config.split('\n')) {
    if (!inside) {
      inside = BLOCK.test(line);
      continue;
    }
    if (/^\s*\}/.test(line)) {
      inside = false;
      continue;
    }
    const m = LINE.exec(line);
    if (m) found.push({ cidr: m[1], dev: m[2] });
  }
  return found;
}
