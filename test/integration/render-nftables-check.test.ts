// Every rendered UDP/SCTP case is accepted by the real nftables 1.0.6 (`nft -c -f`: parsed and
// checked by the kernel, nothing committed), as `haproxy -c` checks every rendered haproxy.cfg.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { l4Plan } from '../../src/amphora/render/l4-plan.ts';
import { renderNftables } from '../../src/amphora/render/nftables-ruleset.ts';
import { l4Cases } from '../helpers/l4-cases.ts';

const run = promisify(execFile);
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fulcrum-nft-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

for (const c of l4Cases()) {
  test(`nft -c accepts ${c.name}`, async () => {
    const file = join(dir, `${c.name}.nft`);
    writeFileSync(file, renderNftables(l4Plan(c.graph), new Set(c.down), c.remembered));
    const result = await run('nft', ['-c', '-f', file]).catch((err: { stderr: string }) => ({ stderr: err.stderr, failed: true }));
    assert.ok(!('failed' in result), `${c.name}: ${result.stderr}`);
  });
}

test('nft -c refuses a broken file, so the check above can fail', async () => {
  const file = join(dir, 'broken.nft');
  writeFileSync(file, renderNftables({ listeners: [] }).replace('delete table', 'delete tabel'));
  await assert.rejects(run('nft', ['-c', '-f', file]));
});
