/**
 * Parsers and matchers for the two IGTF namespace policy formats (credentials.md §5.4, §5.5).
 * Patterns and DNs are compared in one normal form: slash DN, canonical keywords, lower case, blank runs
 * collapsed (§9.12, §9.14).
 */
import { LRUCache } from 'lru-cache';

export class PolicySyntaxError extends Error {
  override readonly name = 'PolicySyntaxError';
}

/** One `access_id_CA` entry of a `.signing_policy` file. */
export interface SigningPolicyEntry {
  readonly caDn: string;
  /** false for `neg_rights` entries, which we treat as DENY rules (§5.4, §12.3). */
  readonly positive: boolean;
  readonly permit: readonly string[];
  readonly deny: readonly string[];
}

/** One `TO Issuer … PERMIT|DENY Subject …` rule of a `.namespaces` file; `issuer` null means SELF. */
export interface NamespaceRule {
  readonly issuer: string | null;
  readonly permit: boolean;
  readonly subjectRegex: string;
}

/** Normal form for DN comparison: keyword aliases unified, lower case, whitespace runs collapsed. */
export function normaliseDnText(dn: string): string {
  return dn
    .replace(/\/(e|email|emailaddress)=/gi, '/emailaddress=')
    .replace(/\/(userid|uid)=/gi, '/uid=')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (ch === "'") {
      let value = '';
      i += 1;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      if (i >= text.length) throw new PolicySyntaxError('unterminated quoted string');
      i += 1;
      tokens.push(`'${value}`); // the leading quote marks "was quoted" for the grammar
    } else {
      let value = '';
      while (i < text.length && !/\s/.test(text[i] as string)) {
        if (text[i] === '\\' && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      tokens.push(value);
    }
  }
  return tokens;
}

/** Globus EACL token grammar (§5.4). */
export function parseSigningPolicy(text: string): SigningPolicyEntry[] {
  const tokens = tokenize(text);
  const entries: { caDn: string; positive: boolean; permit: string[]; deny: string[] }[] = [];
  let i = 0;
  const next = (what: string): string => {
    const t = tokens[i++];
    if (t === undefined) throw new PolicySyntaxError(`expected ${what}, found end of file`);
    return t;
  };
  while (i < tokens.length) {
    const head = next('access_id_CA');
    if (head === 'access_id_ANYBODY') throw new PolicySyntaxError('access_id_ANYBODY is not supported');
    if (head !== 'access_id_CA') throw new PolicySyntaxError(`expected access_id_CA, found "${head}"`);
    if (next('X509') !== 'X509') throw new PolicySyntaxError('expected X509 after access_id_CA');
    const dn = next('CA DN');
    if (!dn.startsWith("'")) throw new PolicySyntaxError('CA DN must be single-quoted');
    const rights = next('pos_rights');
    if (rights !== 'pos_rights' && rights !== 'neg_rights') throw new PolicySyntaxError(`expected pos_rights, found "${rights}"`);
    if (next('globus') !== 'globus' || next('CA:sign') !== 'CA:sign') throw new PolicySyntaxError('expected "globus CA:sign"');
    const entry = { caDn: dn.slice(1), positive: rights === 'pos_rights', permit: [] as string[], deny: [] as string[] };
    let conditions = 0;
    while (tokens[i] === 'cond_subjects' || tokens[i] === 'cond_banned_subjects') {
      const kind = next('condition');
      if (next('globus') !== 'globus') throw new PolicySyntaxError(`expected globus after ${kind}`);
      const list = next('subject patterns');
      if (!list.startsWith("'")) throw new PolicySyntaxError('subject patterns must be single-quoted');
      const patterns = [...list.slice(1).matchAll(/"([^"]*)"/g)].map((m) => m[1] as string);
      if (patterns.length === 0) throw new PolicySyntaxError('empty subject pattern list');
      (kind === 'cond_subjects' && entry.positive ? entry.permit : entry.deny).push(...patterns);
      conditions += 1;
    }
    if (conditions === 0) throw new PolicySyntaxError('access_id_CA entry without cond_subjects');
    entries.push(entry);
  }
  return entries;
}

/** canl-java wildcard semantics (§5.4): `*` any run, `?` one character, whole-DN anchored, case-insensitive. */
export function globusPatternMatches(pattern: string, dn: string): boolean {
  const p = normaliseDnText(pattern);
  const d = normaliseDnText(dn);
  const regex = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(d);
}

/** IGTF namespaces grammar (§5.5). */
export function parseNamespaces(text: string): NamespaceRule[] {
  // Join backslash-continued lines, then tokenise with double-quoted strings (single quotes as VOMS C allows).
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const tokens: { value: string; quoted: boolean }[] = [];
  for (const line of lines) {
    const version = /^#NAMESPACES-VERSION:\s*(\S+)/.exec(line);
    if (version && version[1] !== '1.0') throw new PolicySyntaxError(`unsupported namespaces version ${version[1]}`);
    let i = 0;
    while (i < line.length) {
      const ch = line[i] as string;
      if (/\s/.test(ch)) i += 1;
      else if (ch === '#') break;
      else if (ch === '"' || ch === "'") {
        const end = line.indexOf(ch, i + 1);
        if (end < 0) throw new PolicySyntaxError('unterminated string');
        tokens.push({ value: line.slice(i + 1, end), quoted: true });
        i = end + 1;
      } else {
        let j = i;
        while (j < line.length && !/\s/.test(line[j] as string)) j += 1;
        tokens.push({ value: line.slice(i, j), quoted: false });
        i = j;
      }
    }
  }
  const rules: NamespaceRule[] = [];
  for (let i = 0; i < tokens.length; ) {
    const word = (k: number): string => (tokens[i + k]?.quoted ? '' : (tokens[i + k]?.value ?? '').toUpperCase());
    if (word(0) !== 'TO' || word(1) !== 'ISSUER') throw new PolicySyntaxError(`expected TO Issuer at token ${i}`);
    const issuerTok = tokens[i + 2];
    if (!issuerTok || (!issuerTok.quoted && issuerTok.value.toUpperCase() !== 'SELF')) throw new PolicySyntaxError('expected issuer DN or SELF');
    const action = word(3);
    if ((action !== 'PERMIT' && action !== 'DENY') || word(4) !== 'SUBJECT') throw new PolicySyntaxError('expected PERMIT|DENY Subject');
    const subject = tokens[i + 5];
    if (!subject?.quoted) throw new PolicySyntaxError('expected quoted subject pattern');
    rules.push({ issuer: issuerTok.quoted ? issuerTok.value : null, permit: action === 'PERMIT', subjectRegex: subject.value });
    i += 6;
  }
  return rules;
}

/** Compiled namespace patterns (IGTF files repeat a few per CA); INVALID remembers a pattern that does not compile. */
const INVALID = Symbol('invalid pattern');
const regexCache = new LRUCache<string, RegExp | typeof INVALID>({ max: 10_000 });

/**
 * A namespaces Subject pattern matches the whole normalised DN as a case-insensitive regex, or equals it
 * literally (IGTF files carry exact DNs with regex metacharacters such as "[Run by the Issuer]", §5.5).
 */
export function namespacePatternMatches(pattern: string, dn: string): boolean {
  const d = normaliseDnText(dn);
  if (normaliseDnText(pattern) === d) return true;
  let regex = regexCache.get(pattern);
  if (regex === undefined) {
    try {
      regex = new RegExp(`^(?:${normaliseDnText(pattern)})$`, 'is');
    } catch {
      regex = INVALID; // an invalid pattern matches nothing (fail closed)
    }
    regexCache.set(pattern, regex);
  }
  return regex !== INVALID && regex.test(d);
}
