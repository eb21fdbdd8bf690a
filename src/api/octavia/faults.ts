// Octavia's error body. Clients (SDK, tempest, gophercloud) read `faultstring`.
import type { FulcrumError } from '../../errors.ts';

export function faultBody(err: FulcrumError): { faultcode: 'Client' | 'Server'; faultstring: string; debuginfo: null } {
  return { faultcode: err.status >= 500 ? 'Server' : 'Client', faultstring: err.message, debuginfo: null };
}
