// The certificates do their job in a real mutual-TLS handshake (node:tls on 127.0.0.1): the
// controller's client certificate is accepted, and OpenSSL's purpose check refuses an agent's
// serverAuth-only certificate presented as a client, and a certificate from another CA.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate, type PemPair } from '../../src/pki/certificate-authority.ts';

async function handshake(caPem: string, server: PemPair, client: PemPair): Promise<{ authorized: boolean; error?: string; peer?: string }> {
  const tlsServer = createServer({ key: server.keyPem, cert: server.certPem, ca: caPem, requestCert: true, rejectUnauthorized: false });
  const result = new Promise<{ authorized: boolean; error?: string; peer?: string }>((resolve) => {
    tlsServer.once('secureConnection', (socket: TLSSocket) => {
      resolve({
        authorized: socket.authorized,
        error: socket.authorizationError ? String(socket.authorizationError) : undefined,
        peer: String(socket.getPeerCertificate().subject?.CN),
      });
      socket.end();
    });
  });
  tlsServer.listen(0, '127.0.0.1');
  await once(tlsServer, 'listening');
  const { port } = tlsServer.address() as AddressInfo;
  const socket = connect({ host: '127.0.0.1', port, ca: caPem, key: client.keyPem, cert: client.certPem });
  socket.on('error', () => {});
  await once(socket, 'secureConnect');
  assert.equal(socket.authorized, true, `the client trusts the server: ${socket.authorizationError}`);
  try {
    return await result;
  } finally {
    socket.destroy();
    tlsServer.close();
  }
}

test('mutual TLS with issued certificates: purpose and issuer are enforced by OpenSSL', async () => {
  const ca = await createCertificateAuthority();
  const other = await createCertificateAuthority({ commonName: 'other CA' });
  const agent = await issueServerCertificate(ca, { commonName: 'agent', ipAddresses: ['127.0.0.1'] });
  const controller = await issueClientCertificate(ca, { commonName: 'controller' });

  assert.deepEqual(await handshake(ca.certPem, agent, controller), { authorized: true, error: undefined, peer: 'controller' });

  const asClient = await handshake(ca.certPem, agent, agent);
  assert.equal(asClient.authorized, false);
  assert.equal(asClient.error, 'INVALID_PURPOSE');

  const stranger = await handshake(ca.certPem, agent, await issueClientCertificate(other, { commonName: 'stranger' }));
  assert.equal(stranger.authorized, false);
  assert.equal(stranger.error, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});
