// Which host programs a configuration needs, and what to say when one is missing or too old.
// Pure: the probing (PATH lookup, `haproxy -v`) is behind ProgramProbe, so the rules are unit
// tested with any set of installed programs.

export interface ProgramSpec {
  /** The executable, looked up on PATH. */
  name: string;
  /** Debian package that installs it. */
  package: string;
  /** Arguments that print the version, and how to find it in the output (stdout + stderr). */
  versionArgs?: string[];
  versionPattern?: RegExp;
  /** Oldest version Fulcrum's rendered configuration works with. */
  minVersion?: string;
}

export const PROGRAMS = {
  // `option idle-close-on-response` and the master CLI's `show proc` format need 2.6.
  haproxy: { name: 'haproxy', package: 'haproxy', versionArgs: ['-v'], versionPattern: /HAProxy version (\d+(?:\.\d+)*)/, minVersion: '2.6' },
  keepalived: { name: 'keepalived', package: 'keepalived', versionArgs: ['-v'], versionPattern: /Keepalived v(\d+(?:\.\d+)*)/, minVersion: '2.0' },
  ip: { name: 'ip', package: 'iproute2', versionArgs: ['-V'], versionPattern: /iproute2-(?:ss)?v?(\d+(?:\.\d+)*)/ },
  arping: { name: 'arping', package: 'arping' },
  sysctl: { name: 'sysctl', package: 'procps' },
  nft: { name: 'nft', package: 'nftables', versionArgs: ['--version'], versionPattern: /nftables v(\d+(?:\.\d+)*)/, minVersion: '1.0' },
  conntrack: { name: 'conntrack', package: 'conntrack' },
  python3: { name: 'python3', package: 'python3' },
} satisfies Record<string, ProgramSpec>;

export type ProgramName = keyof typeof PROGRAMS;

export interface Requirement {
  program: ProgramName;
  /** Missing: `serve` stops (true), or only warns because only some load balancers need it. */
  required: boolean;
  why: string;
}

export interface PrerequisiteConfig {
  enabledProviders: string[];
  defaultProvider: string;
  /** `process`, `netns`, or `noop` (amphora flows without processes). */
  computeDriver: string;
  defaultTopology: string;
}

const AMPHORA_PROVIDERS = ['amphora', 'octavia'];

/** The programs a controller process that runs the data plane (serve, worker) needs on its host. */
export function requiredPrograms(config: PrerequisiteConfig): Requirement[] {
  const amphoraEnabled = config.enabledProviders.some((p) => AMPHORA_PROVIDERS.includes(p));
  if (!amphoraEnabled || config.computeDriver === 'noop') return [];
  // With another default provider only load balancers that ask for amphora need the programs.
  const byDefault = AMPHORA_PROVIDERS.includes(config.defaultProvider);
  const where = config.computeDriver === 'netns' ? 'the netns compute driver' : 'the process compute driver';
  const out: Requirement[] = [
    { program: 'haproxy', required: byDefault, why: `every amphora is an HAProxy process (${where})` },
    {
      program: 'keepalived',
      required: byDefault && config.defaultTopology === 'ACTIVE_STANDBY',
      why: 'ACTIVE_STANDBY load balancers run keepalived beside HAProxy',
    },
  ];
  if (config.computeDriver === 'netns') {
    out.push(
      { program: 'ip', required: byDefault, why: 'the netns driver makes namespaces, veths and bridges with ip' },
      { program: 'arping', required: byDefault, why: 'the netns driver announces moved VIPs with a gratuitous ARP' },
      { program: 'sysctl', required: byDefault, why: 'the netns driver sets ip_nonlocal_bind in each namespace' },
      // Only load balancers with UDP or SCTP listeners need these (docs/dataplane.md §10).
      { program: 'nft', required: false, why: 'UDP and SCTP listeners are an nftables table in the amphora namespace' },
      { program: 'conntrack', required: false, why: 'a UDP/SCTP member that fails its monitor loses its conntrack entries' },
      { program: 'python3', required: false, why: 'SCTP monitors send INIT over a raw socket from a python3 probe' },
    );
  }
  return out;
}

/** Numeric dotted comparison: "2.6.12" ≥ "2.6". */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

export function parseVersion(spec: ProgramSpec, output: string): string | null {
  return spec.versionPattern?.exec(output)?.[1] ?? null;
}

/** What the probe found for one program: absent, or its path and version output. */
export type ProgramFound = { path: null } | { path: string; versionOutput: string | null };

export interface ProgramProbe {
  find(spec: ProgramSpec): Promise<ProgramFound>;
}

export interface PrerequisiteResult {
  requirement: Requirement;
  ok: boolean;
  /** What was found ("haproxy 2.6.12 at /usr/sbin/haproxy") or what is wrong, and what to do. */
  message: string;
}

export const INSTALL_SCRIPT = 'sudo bin/install-prerequisites';

export function installHint(spec: ProgramSpec): string {
  return `install it with "sudo apt-get install ${spec.package}" (or "${INSTALL_SCRIPT}", which installs everything Fulcrum uses)`;
}

export function judge(requirement: Requirement, found: ProgramFound, path: string): PrerequisiteResult {
  const spec: ProgramSpec = PROGRAMS[requirement.program];
  if (found.path === null) {
    return { requirement, ok: false, message: `${spec.name} is not installed (not found on PATH ${path}); ${requirement.why}: ${installHint(spec)}` };
  }
  if (!spec.minVersion) return { requirement, ok: true, message: `${spec.name} at ${found.path}` };
  const version = found.versionOutput === null ? null : parseVersion(spec, found.versionOutput);
  if (version === null) {
    return { requirement, ok: false, message: `${spec.name} at ${found.path} does not say its version ("${spec.name} ${spec.versionArgs?.join(' ')}"); Fulcrum needs ${spec.minVersion} or later: ${installHint(spec)}` };
  }
  if (!versionAtLeast(version, spec.minVersion)) {
    return { requirement, ok: false, message: `${spec.name} ${version} at ${found.path} is too old: Fulcrum needs ${spec.minVersion} or later; ${installHint(spec)}` };
  }
  return { requirement, ok: true, message: `${spec.name} ${version} at ${found.path}` };
}

export async function checkPrerequisites(requirements: Requirement[], probe: ProgramProbe, path: string): Promise<PrerequisiteResult[]> {
  return Promise.all(requirements.map(async (r) => judge(r, await probe.find(PROGRAMS[r.program]), path)));
}
