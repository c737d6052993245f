import { Dn, type Fqan, type TokenIdentity } from '@gridauthz/domain';
import type { MappingSettings, SubjectPattern } from './mapping-rule';
import { fqanPatternMatches, parseFqanPattern } from './fqan-pattern';
import { globMatch } from './glob';

export type DnMatcher = (dn: Dn) => boolean;
export type FqanMatcher = (fqan: Fqan) => boolean;
export type TokenMatcher = (token: TokenIdentity) => boolean;
/** A token group is only meaningful with the issuer that asserted it. */
export type TokenGroupMatcher = (issuer: string, group: string) => boolean;
export type CompiledPattern =
  | { readonly kind: 'dn'; readonly matches: DnMatcher }
  | { readonly kind: 'fqan'; readonly matches: FqanMatcher }
  | { readonly kind: 'token'; readonly matches: TokenMatcher }
  | { readonly kind: 'issuer'; readonly matches: TokenMatcher }
  | { readonly kind: 'token-group'; readonly matches: TokenGroupMatcher };

type Syntax = Pick<MappingSettings, 'patternSyntax' | 'wildcards'>;

/** Compiles a rule pattern once (at config load) so evaluation cannot meet a syntax error; returns why not. */
export function compilePattern(subject: SubjectPattern, syntax: Syntax): CompiledPattern | string {
  const { pattern } = subject;
  if (pattern === '') return 'empty pattern';
  if (subject.kind === 'token' || subject.kind === 'token-group') return compileTokenPattern(subject);
  if (subject.kind === 'issuer') {
    if (subject.issuer !== undefined) return 'an issuer pattern names the issuer in its pattern, not in a separate issuer';
    if (pattern !== pattern.trim()) return 'token patterns may not start or end with white space';
    return { kind: 'issuer', matches: (t) => t.issuer === pattern };
  }
  if (subject.issuer !== undefined) return `a ${subject.kind} pattern takes no issuer`;
  if (syntax.patternSyntax === 'lcmaps') {
    // LCMAPS compares the OpenSSL text of the DN and the FQAN exactly as VOMS issued it: no normalisation.
    const test = syntax.wildcards ? (text: string) => globMatch(pattern, text) : (text: string) => text === pattern;
    return subject.kind === 'dn' ? { kind: 'dn', matches: (dn) => test(dn.toSlash()) } : { kind: 'fqan', matches: (f) => test(f.original) };
  }
  if (subject.kind === 'dn') {
    let key: Dn;
    try {
      key = Dn.parse(pattern);
    } catch (e) {
      return `not a DN: ${(e as Error).message}`;
    }
    return { kind: 'dn', matches: (dn) => dn.equals(key) };
  }
  const parsed = parseFqanPattern(pattern);
  if (typeof parsed === 'string') return parsed;
  return { kind: 'fqan', matches: (f) => fqanPatternMatches(parsed, f) };
}

/** Token patterns are exact under every syntax (docs/mapping-tokens.md): no globs, no case folding. */
function compileTokenPattern(subject: SubjectPattern): CompiledPattern | string {
  const { issuer, pattern } = subject;
  if (issuer === undefined || issuer === '') return `a ${subject.kind} pattern needs an issuer`;
  if (issuer !== issuer.trim() || pattern !== pattern.trim()) return 'token patterns may not start or end with white space';
  if (subject.kind === 'token') return { kind: 'token', matches: (t) => t.issuer === issuer && t.subject === pattern };
  if (!TOKEN_GROUP.test(pattern)) return `"${pattern}" is not a token group (wlcg.groups entries look like /atlas or /atlas/production)`;
  return { kind: 'token-group', matches: (iss, group) => iss === issuer && group === pattern };
}

/** The wlcg.groups grammar the validator enforces (docs/tokens.md §3.6). */
export const TOKEN_GROUP = /^(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)+$/;

/**
 * Argus's key classification (mapping.md §3.2): if the first path component has no "=", the key is an FQAN,
 * otherwise a DN. RFC 2253 keys (no leading "/") are DNs.
 */
export function classifyKey(key: string): 'dn' | 'fqan' {
  if (!key.startsWith('/')) return 'dn';
  const first = key.split('/')[1] ?? '';
  return first.includes('=') ? 'dn' : 'fqan';
}
