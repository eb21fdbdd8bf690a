// Requests Node's HTTP server refuses before Fastify routes them (a malformed request line,
// headers over the size limit, an Expect the server cannot meet, an HTTP/1.1 request without
// Host) get Octavia's fault body like every other refusal, instead of an empty answer or
// Fastify's own error format.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { FulcrumError, InvalidInput } from '../errors.ts';
import { faultBody } from './octavia/faults.ts';

/** The refusal for a request the HTTP parser could not read (Node's clientError codes). */
export function clientErrorFault(code: string | undefined): FulcrumError {
  if (code === 'HPE_HEADER_OVERFLOW') return new FulcrumError('LB_ERR_HEADERS_TOO_LARGE', 431, 'Request header fields too large.');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new FulcrumError('LB_ERR_REQUEST_TIMEOUT', 408, 'The request was not received in time.');
  return new InvalidInput('The request is not valid HTTP.');
}

function faultResponse(err: FulcrumError): string {
  const body = JSON.stringify(faultBody(err));
  return [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `x-openstack-request-id: req-${randomUUID()}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Fastify's clientErrorHandler: answers with a fault (when the socket can still take it) and closes. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) socket.end(faultResponse(clientErrorFault(err.code)));
  else socket.destroy();
}

function sendFault(res: ServerResponse, err: FulcrumError): void {
  const body = JSON.stringify(faultBody(err));
  res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-openstack-request-id': `req-${randomUUID()}`, connection: 'close' });
  res.end(body);
}

/** Answers an Expect other than 100-continue with a 417 fault (Node would send it empty). */
export function refuseUnmetExpectations(server: Server): void {
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    sendFault(res, new FulcrumError('LB_ERR_EXPECTATION_FAILED', 417, 'Expectation failed: only Expect: 100-continue is supported.'));
  });
}

/**
 * An onRequest hook refusing an HTTP/1.1 request without Host, as Node does when the server is
 * not created with `requireHostHeader: false` — which it is, so the refusal has a fault body.
 */
export async function requireHost(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  if (raw.httpVersionMajor === 1 && raw.httpVersionMinor === 1 && raw.headers.host === undefined) {
    throw new InvalidInput('Invalid input: an HTTP/1.1 request must carry a Host header.');
  }
}
