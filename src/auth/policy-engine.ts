// A set of named policy rules (a profile's defaults, overridden by the operator's policy file),
// checked once when built — every check string parses, every `rule:` reference exists, no
// rule refers to itself — and then evaluated per request.
import { CheckStringError, evaluate, parseCheckString, referencedRules, type Check, type Credentials, type Target } from './check-string.ts';
import { defaultRules, type PolicyProfile } from './policy-defaults.ts';

export class PolicyError extends Error {}

export class PolicyEngine {
  private readonly rules = new Map<string, Check>();

  /** `overrides` replace or add rules by name; `source` names them in error messages. */
  constructor(overrides: Record<string, string> = {}, source = 'policy overrides', profile: PolicyProfile = 'octavia') {
    const texts = { ...defaultRules(profile), ...overrides };
    const problems: string[] = [];
    for (const [name, text] of Object.entries(texts)) {
      try {
        this.rules.set(name, parseCheckString(text));
      } catch (err) {
        if (!(err instanceof CheckStringError)) throw err;
        problems.push(`rule ${JSON.stringify(name)}: ${err.message}`);
      }
    }
    for (const [name, check] of this.rules) {
      for (const ref of referencedRules(check)) {
        if (!(ref in texts)) problems.push(`rule ${JSON.stringify(name)} refers to undefined rule ${JSON.stringify(ref)}`);
      }
    }
    if (problems.length === 0) problems.push(...this.cycles());
    if (problems.length > 0) throw new PolicyError(`${source}: invalid policy:\n  - ${problems.join('\n  - ')}`);
  }

  has(name: string): boolean {
    return this.rules.has(name);
  }

  /** Whether `name` allows the caller on the target; an undefined rule allows nobody. */
  enforce(name: string, target: Target, credentials: Credentials): boolean {
    const check = this.rules.get(name);
    if (!check) return false;
    return evaluate(check, credentials, target, (ref) => this.enforce(ref, target, credentials));
  }

  private cycles(): string[] {
    const state = new Map<string, 'visiting' | 'done'>();
    const problems: string[] = [];
    const visit = (name: string, path: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        problems.push(`rules refer to each other in a cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`);
        return;
      }
      state.set(name, 'visiting');
      for (const ref of referencedRules(this.rules.get(name)!)) visit(ref, [...path, name]);
      state.set(name, 'done');
    };
    for (const name of this.rules.keys()) visit(name, []);
    return problems;
  }
}
