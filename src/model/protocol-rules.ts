// Which pool protocols a listener can use, and which monitor types a pool can have
// (docs/octavia-compatibility.md §6). Pure tables and checks.
import { ValidationFailure } from '../errors.ts';

const LISTENER_POOL: Record<string, readonly string[]> = {
  HTTP: ['HTTP', 'PROXY', 'PROXYV2'],
  HTTPS: ['HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TCP: ['HTTP', 'HTTPS', 'PROXY', 'PROXYV2', 'TCP'],
  TERMINATED_HTTPS: ['HTTP', 'PROXY', 'PROXYV2'],
  UDP: ['UDP'],
  SCTP: ['SCTP'],
  PROMETHEUS: [],
};

export function checkListenerPoolProtocols(listenerProtocol: string, poolProtocol: string): void {
  if (listenerProtocol === 'PROMETHEUS') {
    throw new ValidationFailure('Protocol PROMETHEUS listeners cannot have child objects.');
  }
  if (!(LISTENER_POOL[listenerProtocol] ?? []).includes(poolProtocol)) {
    throw new ValidationFailure(`The pool protocol '${poolProtocol}' is invalid while the listener protocol is '${listenerProtocol}'.`);
  }
}

const L4_DATAGRAM = new Set(['UDP', 'SCTP']);

export function isDatagramProtocol(protocol: string): boolean {
  return L4_DATAGRAM.has(protocol);
}

export function checkPoolMonitorType(poolProtocol: string, monitorType: string): void {
  if (poolProtocol === 'UDP' && !['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'].includes(monitorType)) {
    throw new ValidationFailure('The associated pool protocol is UDP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.');
  }
  if (poolProtocol === 'SCTP' && !['UDP-CONNECT', 'SCTP', 'TCP', 'HTTP'].includes(monitorType)) {
    throw new ValidationFailure('The associated pool protocol is SCTP, so only a UDP-CONNECT/SCTP/TCP/HTTP health monitor is supported.');
  }
  if (!isDatagramProtocol(poolProtocol) && ['UDP-CONNECT', 'SCTP'].includes(monitorType)) {
    throw new ValidationFailure(`The ${monitorType} type is only supported for pools of type UDP/SCTP.`);
  }
}

/** Listener protocols sharing one port space on a load balancer (TCP-based ones share). */
export function portSpace(listenerProtocol: string): string {
  return L4_DATAGRAM.has(listenerProtocol) ? listenerProtocol : 'TCP';
}
