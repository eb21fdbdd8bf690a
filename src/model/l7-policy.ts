// L7 policy rules (docs/octavia-compatibility.md §5.7): how the action and its redirect arguments are made
// consistent on create and update, and how positions stay dense 1..N per listener. Pure.
import { InvalidInput, InvalidL7PolicyAction, InvalidL7PolicyArguments } from '../errors.ts';
import { L7_ACTIONS, type L7Policy } from './lb-graph.ts';

export type L7Action = L7Policy['action'];

export const REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const;
export const DEFAULT_REDIRECT_HTTP_CODE = 302;
export const MAX_POLICY_POSITION = 2_147_483_647;
const URL_MAX_LENGTH = 255;

/** The action and the arguments that go with it, as stored. */
export interface L7PolicyArguments {
  action: L7Action;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
}

/** What a create or update names; absent keys are untouched, null clears. */
export type L7PolicyArgumentsInput = Partial<{
  action: string;
  redirect_pool_id: string | null;
  redirect_url: string | null;
  redirect_prefix: string | null;
  redirect_http_code: number | null;
}>;

/**
 * An absolute http(s) URL naming a host, in visible ASCII only: what HAProxy can take as one
 * `redirect` word (the renderer checks the same).
 */
export function isRedirectUrl(value: string): boolean {
  if (value.length > URL_MAX_LENGTH || !/^https?:\/\/[\x21-\x7e]+$/i.test(value)) return false;
  try {
    return new URL(value).host !== '';
  } catch {
    return false;
  }
}

function checkUrl(field: 'redirect_url' | 'redirect_prefix', value: string): void {
  if (!isRedirectUrl(value)) throw new InvalidInput(`Invalid input for field/attribute ${field}. Value: '${value}'. Not a valid URL: ${value}`);
}

/** The action an argument implies when the caller names no action. */
function impliedAction(input: L7PolicyArgumentsInput): L7Action | undefined {
  if (input.redirect_pool_id) return 'REDIRECT_TO_POOL';
  if (input.redirect_url) return 'REDIRECT_TO_URL';
  if (input.redirect_prefix) return 'REDIRECT_PREFIX';
  return undefined;
}

/**
 * The arguments after a create (`stored` null) or an update. Supplying a redirect argument
 * forces its action; an explicit action keeps only its own argument (taken from the input, or
 * kept from the stored policy when the action does not change); REDIRECT_TO_URL and
 * REDIRECT_PREFIX default their code to 302, every other action has none.
 */
export function normaliseL7Policy(input: L7PolicyArgumentsInput, stored: L7PolicyArguments | null = null): L7PolicyArguments {
  if (input.redirect_pool_id && (input.redirect_url || input.redirect_prefix)) {
    throw new InvalidL7PolicyArguments('Cannot specify redirect_pool_id and redirect_url or redirect_prefix at the same time');
  }
  if (input.redirect_url && input.redirect_prefix) {
    throw new InvalidL7PolicyArguments('Cannot specify redirect_url and redirect_prefix at the same time');
  }
  const requested = input.action ?? impliedAction(input) ?? stored?.action;
  if (requested === undefined || !(L7_ACTIONS as readonly string[]).includes(requested)) {
    throw new InvalidL7PolicyAction(requested ?? 'None');
  }
  const action = requested as L7Action;
  const kept = stored?.action === action ? stored : null;
  const argument = <K extends 'redirect_pool_id' | 'redirect_url' | 'redirect_prefix'>(key: K): string => {
    const value = input[key] !== undefined ? input[key] : (kept?.[key] ?? null);
    if (!value) throw new InvalidL7PolicyArguments(`${key} must not be None`);
    return value;
  };
  const code = (): number => {
    if (input.redirect_http_code !== undefined && input.redirect_http_code !== null) {
      if (!(REDIRECT_HTTP_CODES as readonly number[]).includes(input.redirect_http_code)) {
        throw new InvalidInput(
          `Invalid input for field/attribute redirect_http_code. Value: '${input.redirect_http_code}'. Value should be one of: ${REDIRECT_HTTP_CODES.join(', ')}`,
        );
      }
      return input.redirect_http_code;
    }
    // A redirect that stays a redirect keeps its code unless the caller resets it with null.
    const storedCode = stored && (stored.action === 'REDIRECT_TO_URL' || stored.action === 'REDIRECT_PREFIX') ? stored.redirect_http_code : null;
    return (input.redirect_http_code === undefined ? storedCode : null) ?? DEFAULT_REDIRECT_HTTP_CODE;
  };
  const none = { redirect_pool_id: null, redirect_url: null, redirect_prefix: null, redirect_http_code: null };
  switch (action) {
    case 'REJECT':
      return { action, ...none };
    case 'REDIRECT_TO_POOL':
      return { action, ...none, redirect_pool_id: argument('redirect_pool_id') };
    case 'REDIRECT_TO_URL': {
      const url = argument('redirect_url');
      checkUrl('redirect_url', url);
      return { action, ...none, redirect_url: url, redirect_http_code: code() };
    }
    case 'REDIRECT_PREFIX': {
      const prefix = argument('redirect_prefix');
      checkUrl('redirect_prefix', prefix);
      return { action, ...none, redirect_prefix: prefix, redirect_http_code: code() };
    }
  }
}

/** A policy's place on its listener. */
export interface PolicyPlace {
  id: string;
  position: number;
}

/**
 * The listener's policy ids in evaluation order after placing `id` at `position` (1-based).
 * `current` is the present order; `id` may be in it (a move) or not (an insert). An occupied
 * position pushes the policies from there on down; a position beyond the end (or none)
 * appends.
 */
export function placePolicy(current: readonly string[], id: string, position: number | null | undefined): string[] {
  const others = current.filter((other) => other !== id);
  const index = position === null || position === undefined ? others.length : Math.min(Math.max(position, 1), others.length + 1) - 1;
  return [...others.slice(0, index), id, ...others.slice(index)];
}

/** Present order of a listener's policies: by position, ties by creation then id. */
export function policyOrder(rows: readonly (PolicyPlace & { created_at: Date | string })[]): string[] {
  return [...rows]
    .sort((a, b) => a.position - b.position || new Date(a.created_at).getTime() - new Date(b.created_at).getTime() || a.id.localeCompare(b.id))
    .map((r) => r.id);
}

/** The dense positions 1..N for `order`, only for the policies whose position changes. */
export function positionChanges(current: readonly PolicyPlace[], order: readonly string[]): PolicyPlace[] {
  const was = new Map(current.map((p) => [p.id, p.position]));
  return order.map((id, i) => ({ id, position: i + 1 })).filter((p) => was.get(p.id) !== p.position);
}
