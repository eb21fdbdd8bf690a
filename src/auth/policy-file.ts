// FULCRUM_POLICY_FILE: rule overrides in the format of Octavia's policy.yaml (YAML, or JSON,
// which YAML reads too): a mapping of rule name to check string.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError } from '../errors.ts';
import { PolicyEngine, PolicyError } from './policy-engine.ts';
import type { PolicyProfile } from './policy-defaults.ts';

/** Parses the text of a policy file into rule overrides; throws a message naming the problem. */
export function parsePolicyText(text: string, source: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PolicyError(`${source}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new PolicyError(`${source}: must be a mapping of rule names to check strings`);
  const rules: Record<string, string> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(doc)) {
    if (typeof value === 'string') rules[name] = value;
    else problems.push(`rule ${JSON.stringify(name)} must be a check string, got ${JSON.stringify(value)}`);
  }
  if (problems.length > 0) throw new PolicyError(`${source}: invalid policy:\n  - ${problems.join('\n  - ')}`);
  return rules;
}

/** The policy of this process: the profile's rules, overridden by the configured file (if any). */
export function loadPolicy(policyFile: string | null, profile: PolicyProfile = 'octavia'): PolicyEngine {
  if (!policyFile) return new PolicyEngine({}, 'policy', profile);
  try {
    let text: string;
    try {
      text = readFileSync(policyFile, 'utf8');
    } catch (err) {
      throw new PolicyError(`${policyFile}: ${(err as Error).message}`);
    }
    return new PolicyEngine(parsePolicyText(text, policyFile), policyFile, profile);
  } catch (err) {
    if (err instanceof PolicyError) throw new ConfigError(`FULCRUM_POLICY_FILE ${err.message}`);
    throw err;
  }
}
