// A load generator process for bench/protection.ts, so a flood or a throughput client does not
// share an event loop with the client whose latency is measured. Prints one JSON line.
//
//   node --import tsx bench/protection-load.ts keepalive <url> <clients> <ms>
//   node --import tsx bench/protection-load.ts flood <url> <sources,...> <req/s per source> <ms>
import http from 'node:http';
import { getFrom, paced } from '../test/helpers/source-traffic.ts';

async function keepAlive(url: string, clients: number, ms: number): Promise<unknown> {
  const deadline = performance.now() + ms;
  let ok = 0;
  let failed = 0;
  const loop = async (i: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: `127.0.1.${10 + i}` });
    for (let n = 0; n < 10_000_000 && performance.now() < deadline; n++) {
      const status = await new Promise<number>((resolve) => {
        const req = http.get(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
      });
      if (status === 200) ok++;
      else failed++;
    }
    agent.destroy();
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  return { ok, failed, seconds: (performance.now() - started) / 1000 };
}

async function flood(url: string, sources: string[], rate: number, ms: number): Promise<unknown> {
  const runs = await Promise.all(sources.map((source) => paced(rate, ms, 300, () => getFrom(url, source))));
  const results = runs.flatMap((r) => r.results);
  return {
    sent: results.length,
    skipped: runs.reduce((s, r) => s + r.skipped, 0),
    refused429: results.filter((r) => r.status === 429).length,
    served: results.filter((r) => r.status === 200).length,
    failed: results.filter((r) => r.status === 0).length,
    seconds: Math.max(...runs.map((r) => r.elapsedMs)) / 1000,
  };
}

const [mode, url, ...rest] = process.argv.slice(2);
const result = mode === 'keepalive' ? await keepAlive(url, Number(rest[0]), Number(rest[1])) : await flood(url, rest[0].split(','), Number(rest[1]), Number(rest[2]));
process.stdout.write(`${JSON.stringify(result)}\n`);
