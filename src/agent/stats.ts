// `show stat` CSV → the JSON the controller stores. Counters haproxy leaves empty for a row
// type (a frontend has no `econ`) come back as null.
import { figuresOf, scopeOfRowType, type Figures } from '../model/proxy-counters.ts';

export interface FrontendStats {
  name: string;
  status: string;
  scur: number | null;
  stot: number | null;
  bin: number | null;
  bout: number | null;
  ereq: number | null;
  /** The figures /metrics exports (model/proxy-counters.ts). */
  figures: Figures;
  /** Requests denied by rules (over a request rate, L7 REJECT). */
  dreq: number | null;
  /** Connections and sessions refused by `tcp-request connection` / `session` rules. */
  dcon: number | null;
  dses: number | null;
}

export interface BackendStats {
  name: string;
  status: string;
  scur: number | null;
  stot: number | null;
  bin: number | null;
  bout: number | null;
  econ: number | null;
  eresp: number | null;
  figures: Figures;
}

export interface ServerStats extends BackendStats {
  backend: string;
  weight: number | null;
  /** The last health check's result (`L4OK`, `L7STS`, …); empty when checks are off. */
  check_status: string;
}

export interface HaproxyStats {
  frontends: FrontendStats[];
  backends: BackendStats[];
  servers: ServerStats[];
}

const FRONTEND = '0';
const BACKEND = '1';
const SERVER = '2';

export function parseShowStat(csv: string): HaproxyStats {
  const lines = csv.split('\n').filter((l) => l.length > 0);
  const header = lines.shift();
  if (!header?.startsWith('# ')) throw new Error(`unexpected "show stat" output: ${JSON.stringify(csv.slice(0, 200))}`);
  const columns = header.slice(2).split(',');
  const stats: HaproxyStats = { frontends: [], backends: [], servers: [] };
  for (const line of lines) {
    const values = line.split(',');
    const field = (name: string) => values[columns.indexOf(name)] ?? '';
    const count = (name: string) => (field(name) === '' ? null : Number(field(name)));
    const type = field('type');
    const scope = scopeOfRowType(type);
    const figures = scope ? figuresOf(scope, field) : {};
    const common = { status: field('status'), scur: count('scur'), stot: count('stot'), bin: count('bin'), bout: count('bout'), figures };
    if (type === FRONTEND) stats.frontends.push({ name: field('pxname'), ...common, ereq: count('ereq'), dreq: count('dreq'), dcon: count('dcon'), dses: count('dses') });
    else if (type === BACKEND) stats.backends.push({ name: field('pxname'), ...common, econ: count('econ'), eresp: count('eresp') });
    else if (type === SERVER) {
      stats.servers.push({
        backend: field('pxname'),
        name: field('svname'),
        ...common,
        econ: count('econ'),
        eresp: count('eresp'),
        weight: count('weight'),
        check_status: field('check_status'),
      });
    }
  }
  return stats;
}
