// The local agent's port when another Fulcrum's agent (another CA) holds the default one: the
// data dir's agent moves to a free port and records it, a later start finds it there, and a
// port that may not move (configured or recorded) is refused with the holder named.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueServerCertificate } from '../../src/pki/certificate-authority.ts';
import { checkLocalAgentPort, ensureLocalAgent, recordedAgentPort } from '../../src/compute/local-agent.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { freePort, stopLocalDataPlane } from '../helpers/data-plane.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'fulcrum-agent-port-'));
let foreign: Server | null = null;
after(async () => {
  stopLocalDataPlane(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  await new Promise((r) => (foreign ? foreign.close(r) : r(null)));
});

test('a default port held by a foreign agent moves to a recorded free one; a fixed one is refused', async () => {
  const otherCa = await createCertificateAuthority();
  const otherCert = await issueServerCertificate(otherCa, { commonName: 'other-agent', ipAddresses: ['127.0.0.1'] });
  const taken = await freePort();
  foreign = createServer({ key: otherCert.keyPem, cert: otherCert.certPem }, (socket) => socket.end());
  await new Promise<void>((resolve) => foreign!.listen(taken, '127.0.0.1', resolve));

  const ca = await createCertificateAuthority();
  const log = createLogger('silent');
  const dir = join(dataDir, 'agent');
  const url = await ensureLocalAgent({ ca, dir, host: '127.0.0.1', port: null, log, defaultPort: taken });
  const port = Number(new URL(url).port);
  assert.notEqual(port, taken);
  assert.equal(recordedAgentPort(dir), port);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')), { port });

  const pid = readFileSync(join(dir, 'agent.pid'), 'utf8');
  assert.equal(await ensureLocalAgent({ ca, dir, host: '127.0.0.1', port: null, log, defaultPort: taken }), url, 'found again through the record');
  assert.equal(readFileSync(join(dir, 'agent.pid'), 'utf8'), pid, 'adopted, not started again');

  await assert.rejects(checkLocalAgentPort({ ca, dir, host: '127.0.0.1', port: taken }), (err: Error) => {
    assert.match(err.message, new RegExp(`^the amphora agent port 127\\.0\\.0\\.1:${taken} is held by pid ${process.pid}, not by an agent of this data dir \\(${dataDir}\\)`));
    assert.match(err.message, /FULCRUM_LOCAL_AGENT_PORT/);
    return true;
  });
  await checkLocalAgentPort({ ca, dir, host: '127.0.0.1', port: null });
});
