import { Dn } from '@gridauthz/domain';
import { type HostRules, type HostVerdict, mayAskForHost } from './host-rule';

/**
 * Who may ask what (docs/callers.md). A caller is the TLS peer, named by its certificate DN (a proxy's owner).
 * - `pilot`: may ask for someone else's mapping (a glexec payload), but only with that subject's own certificate
 *   chain; a pilot naming a DN without the chain is refused.
 * - `asserter`: a trusted asserter (a CE over PRIMA, ARC's emi client, an Argus PEPd) may assert a subject's DN
 *   and FQANs without a chain.
 * - everyone else may ask only about themselves, and then only what their own verified chain says.
 */
export const CALLER_ROLES = ['pilot', 'asserter'] as const;
export type CallerRole = (typeof CALLER_ROLES)[number];

/** Where an entry comes from: the caller table, the `pdp.callers` / `pdp.trustedAsserters` settings, or the old payload_caller whitelist. */
export type CallerSource = 'database' | 'config' | 'legacy';

export interface CallerEntry {
  readonly dn: Dn;
  readonly role: CallerRole;
  readonly source: CallerSource;
  readonly comment?: string;
}

/**
 * What the subject of a question rests on: its own chain (verified), a bearer token (verified; it names no DN, so
 * the caller can never be "self"), or the caller's word.
 */
export type SubjectClaim = { readonly kind: 'chain'; readonly dn: Dn } | { readonly kind: 'token' } | { readonly kind: 'asserted'; readonly dn: Dn };

export type CallerVerdict =
  /** The caller asks about itself with its own chain. */
  | { readonly allowed: true; readonly as: 'self' }
  /** A pilot or asserter asks about another subject whose chain (or token) it sent. */
  | { readonly allowed: true; readonly as: 'pilot' | 'asserter' }
  /** A trusted asserter's word stands for the subject. */
  | { readonly allowed: true; readonly as: 'asserted' }
  /**
   * The caller asserted itself as the subject but may not assert: the question is answered from the caller's own
   * verified credentials, the asserted attributes ignored (a PRIMA query whose Resource is the caller's own DN).
   */
  | { readonly allowed: true; readonly as: 'own-credentials' }
  | { readonly allowed: false; readonly outcome: 'deny' | 'indeterminate'; readonly code: CallerRefusalCode; readonly detail: string };

export type CallerRefusalCode = 'MAPPING_CALLER_NOT_WHITELISTED' | 'CALLER_CHAIN_REQUIRED' | 'SUBJECT_NOT_VERIFIABLE';

/** What the decision pipeline asks of the callers in force. */
export interface CallerAuthority {
  mayAsk(caller: Dn, subject: SubjectClaim): CallerVerdict;
  /** May the caller ask on behalf of this host (PRIMA's Resource)? `subject`: the DN the question names, if any. */
  mayAskForHost(caller: Dn, host: string, subject?: Dn): HostVerdict;
}

/** The callers in force: one immutable snapshot, queried by structural DN. */
export class CallerModel implements CallerAuthority {
  private readonly byKey: ReadonlyMap<string, ReadonlySet<CallerRole>>;

  private constructor(
    readonly entries: readonly CallerEntry[],
    readonly hostRules: HostRules,
  ) {
    const byKey = new Map<string, Set<CallerRole>>();
    for (const e of entries) {
      const key = e.dn.canonicalKey();
      const roles = byKey.get(key) ?? new Set<CallerRole>();
      roles.add(e.role);
      byKey.set(key, roles);
    }
    this.byKey = byKey;
  }

  /** `hostRules`: who may ask on behalf of which host (settings prima.hostToResource, prima.gumsLegacy). */
  static of(entries: readonly CallerEntry[], hostRules: HostRules = {}): CallerModel {
    return new CallerModel([...entries], hostRules);
  }

  static readonly EMPTY = CallerModel.of([]);

  roles(dn: Dn): ReadonlySet<CallerRole> {
    return this.byKey.get(dn.canonicalKey()) ?? new Set();
  }

  has(dn: Dn, role: CallerRole): boolean {
    return this.roles(dn).has(role);
  }

  /**
   * May `caller` ask this question about this subject? The one place the decision pipeline asks; pure.
   */
  mayAsk(caller: Dn, subject: SubjectClaim): CallerVerdict {
    const roles = this.roles(caller);
    if (subject.kind === 'token') {
      // A bearer token names no DN: only a pilot or an asserter may present someone's token (fail closed).
      if (roles.has('pilot')) return { allowed: true, as: 'pilot' };
      if (roles.has('asserter')) return { allowed: true, as: 'asserter' };
      return {
        allowed: false,
        outcome: 'deny',
        code: 'MAPPING_CALLER_NOT_WHITELISTED',
        detail: `${caller.toSlash()} may not ask about a token's subject (it is neither a pilot nor a trusted asserter: gridauthz caller add)`,
      };
    }
    const self = caller.equals(subject.dn);
    if (subject.kind === 'chain') {
      if (self) return { allowed: true, as: 'self' };
      if (roles.has('pilot')) return { allowed: true, as: 'pilot' };
      if (roles.has('asserter')) return { allowed: true, as: 'asserter' };
      return {
        allowed: false,
        outcome: 'deny',
        code: 'MAPPING_CALLER_NOT_WHITELISTED',
        detail: `${caller.toSlash()} may not request payload mappings (it is neither a pilot nor a trusted asserter: gridauthz caller add)`,
      };
    }
    if (roles.has('asserter')) return { allowed: true, as: 'asserted' };
    if (self) return { allowed: true, as: 'own-credentials' };
    if (roles.has('pilot')) {
      return {
        allowed: false,
        outcome: 'deny',
        code: 'CALLER_CHAIN_REQUIRED',
        detail: `the pilot ${caller.toSlash()} named ${subject.dn.toSlash()} without the payload's certificate chain; a pilot must send the payload's chain`,
      };
    }
    return {
      allowed: false,
      outcome: 'indeterminate',
      code: 'SUBJECT_NOT_VERIFIABLE',
      detail: `the caller ${caller.toSlash()} is not trusted to assert subject attributes; send the subject's certificate chain`,
    };
  }

  /** May `caller` ask on behalf of `host`? Its own DN always; others only as the host rules grant. Pure. */
  mayAskForHost(caller: Dn, host: string, subject?: Dn): HostVerdict {
    return mayAskForHost(this.hostRules, caller, host, subject);
  }
}

/** Parses a role name; undefined if it is none. */
export function parseCallerRole(text: string): CallerRole | undefined {
  return (CALLER_ROLES as readonly string[]).includes(text) ? (text as CallerRole) : undefined;
}

/** One parsed entry of a gLExec `user_white_list` style file, or why it cannot be one. */
export type WhiteListItem = { readonly line: number; readonly dn: Dn } | { readonly line: number; readonly problem: string };

/**
 * Reads a gLExec `user_white_list` style file (docs/callers.md "Importing"): either glexec.conf itself, whose
 * `user_white_list = a,b,"c"` value is a comma-separated list, or a plain list with one entry a line. `#` starts a
 * comment outside quotes; entries may be double-quoted (then taken verbatim, commas included). gLExec lists local
 * user names; gridauthz knows callers by certificate DN, so an entry that is not a DN is reported, not guessed.
 */
export function parseUserWhiteList(text: string): WhiteListItem[] {
  const items: WhiteListItem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = stripComment(raw).trim();
    if (content === '') return;
    if (/^\[.*\]$/.test(content)) return; // a glexec.conf section header
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(content);
    let values: string[];
    if (assignment && !looksLikeDn(content)) {
      // Other glexec.conf keys are not ours.
      if (assignment[1] !== 'user_white_list') return;
      values = splitList(assignment[2] ?? '');
    } else {
      values = [content];
    }
    for (const value of values) {
      const entry = unquote(value.trim());
      if (entry === undefined) {
        items.push({ line, problem: `unbalanced quotes in ${JSON.stringify(value.trim())}` });
        continue;
      }
      if (entry === '') continue;
      if (!looksLikeDn(entry)) {
        items.push({ line, problem: `"${entry}" is a local user name, not a certificate DN; gridauthz names callers by DN (add the pilot's certificate DN instead)` });
        continue;
      }
      try {
        items.push({ line, dn: Dn.parse(entry) });
      } catch (err) {
        items.push({ line, problem: `"${entry}" is not a DN: ${(err as Error).message}` });
      }
    }
  });
  return items;
}

function looksLikeDn(text: string): boolean {
  const t = text.replace(/^"/, '');
  return t.startsWith('/') || /^[A-Za-z][A-Za-z0-9.-]*\s*=[^=]*[,+]/.test(t) || /^(CN|DC|O|OU|C|L|ST|UID|emailAddress)\s*=/i.test(t);
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return line.slice(0, i);
  }
  return line;
}

function splitList(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

function unquote(value: string): string | undefined {
  if (!value.includes('"')) return value;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"') && !value.slice(1, -1).includes('"')) return value.slice(1, -1);
  return undefined;
}
