// oslo.policy check strings (the language of Octavia's policy.yaml), parsed into a tree and
// evaluated against the caller's credentials and the target object. Pure: rule lookup is
// passed in, so overrides and defaults are resolved by the caller.
//
// Grammar (as oslo.policy): `@` (always), `!` (never), `kind:match` checks, `not`, `and`,
// `or` (binding in that order, keywords case-insensitive) and parentheses. The empty string
// means "always", as in oslo.policy.

export type Check =
  | { type: 'true' }
  | { type: 'false' }
  | { type: 'role'; role: string }
  | { type: 'rule'; rule: string }
  /** `key:value`: credentials[key] must equal value, after `%(attr)s` is filled in from the target. */
  | { type: 'generic'; key: string; match: string }
  | { type: 'not'; check: Check }
  | { type: 'and'; checks: Check[] }
  | { type: 'or'; checks: Check[] };

export class CheckStringError extends Error {}

export type Credentials = Record<string, unknown> & { roles: string[] };
export type Target = Record<string, unknown>;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.trim().split(/\s+/)) {
    if (word === '') continue;
    // Parentheses may be glued to a check: `(role:a` or `rule:b)`.
    const open = /^\(*/.exec(word)![0].length;
    const close = /\)*$/.exec(word.slice(open))![0].length;
    const core = word.slice(open, word.length - close);
    for (let i = 0; i < open; i++) tokens.push('(');
    if (core) tokens.push(core);
    for (let i = 0; i < close; i++) tokens.push(')');
  }
  return tokens;
}

function parseAtom(token: string, source: string): Check {
  if (token === '@') return { type: 'true' };
  if (token === '!') return { type: 'false' };
  const colon = token.indexOf(':');
  if (colon <= 0) throw new CheckStringError(`${JSON.stringify(token)} is not a check (expected kind:value, @ or !) in ${JSON.stringify(source)}`);
  const kind = token.slice(0, colon);
  const match = token.slice(colon + 1);
  if (match === '') throw new CheckStringError(`${JSON.stringify(token)} has no value in ${JSON.stringify(source)}`);
  if (kind === 'role') return { type: 'role', role: match };
  if (kind === 'rule') return { type: 'rule', rule: match };
  if (kind === 'http' || kind === 'https') throw new CheckStringError(`${kind}: checks are not supported (in ${JSON.stringify(source)})`);
  return { type: 'generic', key: kind, match };
}

/** Parses a check string; throws CheckStringError with the offending part. */
export function parseCheckString(source: string): Check {
  const tokens = tokenize(source);
  if (tokens.length === 0) return { type: 'true' };
  let pos = 0;
  const peek = () => tokens[pos]?.toLowerCase();
  const fail = (what: string): never => {
    throw new CheckStringError(`${what} at token ${pos + 1} of ${JSON.stringify(source)}`);
  };

  const orExpr = (): Check => {
    const checks = [andExpr()];
    while (peek() === 'or') {
      pos++;
      checks.push(andExpr());
    }
    return checks.length === 1 ? checks[0] : { type: 'or', checks };
  };
  const andExpr = (): Check => {
    const checks = [notExpr()];
    while (peek() === 'and') {
      pos++;
      checks.push(notExpr());
    }
    return checks.length === 1 ? checks[0] : { type: 'and', checks };
  };
  const notExpr = (): Check => {
    if (peek() === 'not') {
      pos++;
      return { type: 'not', check: notExpr() };
    }
    return atom();
  };
  const atom = (): Check => {
    const token = tokens[pos];
    if (token === undefined) return fail('unexpected end');
    if (token === '(') {
      pos++;
      const inner = orExpr();
      if (tokens[pos] !== ')') fail('missing ")"');
      pos++;
      return inner;
    }
    if (token === ')' || ['and', 'or', 'not'].includes(token.toLowerCase())) fail(`unexpected ${JSON.stringify(token)}`);
    pos++;
    return parseAtom(token, source);
  };

  const check = orExpr();
  if (pos < tokens.length) fail(`unexpected ${JSON.stringify(tokens[pos])}`);
  return check;
}

/** The rule names a check refers to with `rule:`. */
export function referencedRules(check: Check): string[] {
  switch (check.type) {
    case 'rule':
      return [check.rule];
    case 'not':
      return referencedRules(check.check);
    case 'and':
    case 'or':
      return check.checks.flatMap(referencedRules);
    default:
      return [];
  }
}

/** Python's str() of a credential value, which is what oslo.policy compares against. */
function pythonString(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  return String(value);
}

/** `%(project_id)s` → the target's value; null when the target lacks the attribute. */
function fillIn(match: string, target: Target): string | null {
  let missing = false;
  const out = match.replace(/%\(([^)]+)\)s/g, (_, name: string) => {
    const value = target[name];
    if (value === undefined || value === null) missing = true;
    return pythonString(value);
  });
  return missing ? null : out;
}

export function evaluate(check: Check, credentials: Credentials, target: Target, rule: (name: string) => boolean): boolean {
  switch (check.type) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'role': {
      const role = check.role.toLowerCase();
      return credentials.roles.some((r) => r.toLowerCase() === role);
    }
    case 'rule':
      return rule(check.rule);
    case 'generic': {
      const expected = fillIn(check.match, target);
      // Unlike oslo.policy, an absent credential never matches (not even a literal "None"):
      // a token without a project must not own objects of a project-less target.
      const actual = check.key.split('.').reduce<unknown>((v, seg) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[seg] : undefined), credentials);
      if (expected === null || actual === undefined || actual === null) return false;
      return expected === pythonString(actual);
    }
    case 'not':
      return !evaluate(check.check, credentials, target, rule);
    case 'and':
      return check.checks.every((c) => evaluate(c, credentials, target, rule));
    case 'or':
      return check.checks.some((c) => evaluate(c, credentials, target, rule));
  }
}
