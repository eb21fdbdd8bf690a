// FULCRUM_METRICS_BIND: /metrics on a listener of its own, for a scraper on a management
// network. It takes no credentials (what reaches this address is the operator's choice) and
// serves nothing else. Every role process may run one, so a worker or health manager without
// the API can still be scraped for what it counted.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '../db/database.ts';
import type { Logger } from './logger.ts';
import { fleetRegistry } from './fleet-metrics.ts';
import { collectProcessMetrics, EXPOSITION_CONTENT_TYPE, exposition } from './metrics.ts';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(db: Db, bind: { host: string; port: number }, log: Logger): Promise<MetricsServer> {
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    fleetRegistry(db)
      .then((fleet) => exposition([fleet]))
      .then((text) => res.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : text))
      .catch((err: unknown) => {
        log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics are unavailable; see the server log\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: bind.host, port }, 'metrics listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
