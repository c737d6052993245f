/**
 * Java regular expressions (java.util.regex) as SPL resource/action patterns use them (policy-language.md §5.3,
 * §12.6), translated to an equivalent JavaScript RegExp once, at compile time. Constructs whose Java meaning JS
 * cannot reproduce (possessive quantifiers, atomic groups, inline flags, class union/intersection,
 * back-references) are rejected rather than approximated.
 */
import { LRUCache } from 'lru-cache';

export type RegexTranslation =
  | { readonly ok: true; readonly regex: RegExp; readonly slow: boolean }
  | { readonly ok: false; readonly message: string; readonly offset: number };

// Java's "." and "$" know five line terminators; JS's know four, so both are spelled out.
const JAVA_DOT = '[^\\n\\r\\u0085\\u2028\\u2029]';
const JAVA_DOLLAR = '(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?$)';
const PLAIN_ESCAPES: Readonly<Record<string, string>> = { n: '\\n', t: '\\t', r: '\\r', f: '\\f', '\\': '\\\\', "'": "'", '"': '"' };
const MAX_PATTERN_CHARS = 4096;

class Reject {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

interface Group {
  /** The group contains an unbounded quantifier: quantifying the group again risks exponential backtracking. */
  hasUnbounded: boolean;
}

// Policies repeat the same few patterns (".*" above all); RegExp without the g/y flags is stateless, so sharing
// compiled translations is safe. Bounded so that hostile input cannot grow it without limit.
const CACHE_LIMIT = 2048;
const cache = new LRUCache<string, RegexTranslation>({ max: CACHE_LIMIT });

export function translateJavaRegex(pattern: string): RegexTranslation {
  let hit = cache.get(pattern);
  if (hit === undefined) {
    hit = translate(pattern);
    cache.set(pattern, hit);
  }
  return hit;
}

function translate(pattern: string): RegexTranslation {
  if (pattern.length > MAX_PATTERN_CHARS) return { ok: false, message: `pattern longer than ${MAX_PATTERN_CHARS} characters`, offset: 0 };
  let out = '';
  let slow = false;
  let i = 0;
  const groups: Group[] = [{ hasUnbounded: false }];
  // Whether the last emitted atom was a group that contained an unbounded quantifier.
  let lastAtomRisky = false;
  const top = (): Group => groups[groups.length - 1] as Group;

  const quantifierFollows = (): void => {
    // Java's possessive "x*+" has no JS equivalent; lazy "x*?" is the same in both.
    const next = pattern[i];
    if (next === '+') throw new Reject('possessive quantifiers ("*+", "++", "?+", "{n}+") are not supported', i);
    if (next === '?') {
      out += '?';
      i += 1;
    }
  };

  try {
    while (i < pattern.length) {
      const c = pattern[i] as string;
      const at = i;
      i += 1;
      switch (c) {
        case '\\': {
          const e = pattern[i];
          if (e === undefined) throw new Reject('pattern ends with a lone backslash', at);
          i += 1;
          if (e === 'b') out += '\\b';
          else if (PLAIN_ESCAPES[e] !== undefined) out += PLAIN_ESCAPES[e];
          else if (e >= '0' && e <= '9') throw new Reject(`"\\${e}" (octal escape or back-reference) is not supported in patterns`, at);
          else throw new Reject(`"\\${e}" is not supported in patterns`, at);
          lastAtomRisky = false;
          break;
        }
        case '(': {
          if (pattern[i] === '?') {
            const rest = pattern.slice(i + 1, i + 40);
            const named = /^<([A-Za-z][A-Za-z0-9]*)>/.exec(rest);
            let prefix: string;
            if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!')) prefix = rest.slice(0, 1);
            else if (rest.startsWith('<=') || rest.startsWith('<!')) prefix = rest.slice(0, 2);
            else if (named) prefix = named[0];
            else throw new Reject('this "(?" construct (inline flags, atomic group, ...) is not supported', at);
            out += `(?${prefix}`;
            i += 1 + prefix.length;
          } else {
            out += '(';
          }
          groups.push({ hasUnbounded: false });
          lastAtomRisky = false;
          break;
        }
        case ')': {
          if (groups.length === 1) throw new Reject('unmatched ")"', at);
          const closed = groups.pop() as Group;
          out += ')';
          lastAtomRisky = closed.hasUnbounded;
          if (closed.hasUnbounded) top().hasUnbounded = true;
          break;
        }
        case '*':
        case '+':
        case '?': {
          out += c;
          if (c !== '?') {
            if (lastAtomRisky) slow = true;
            top().hasUnbounded = true;
          }
          quantifierFollows();
          lastAtomRisky = false;
          break;
        }
        case '{': {
          const m = /^(\d{1,6})(,(\d{0,6}))?\}/.exec(pattern.slice(i, i + 16));
          if (!m) throw new Reject('"{" must start a repetition such as {2} or {1,3} (write [{] for a literal brace)', at);
          out += `{${m[1]}${m[2] ?? ''}}`;
          i += m[0].length;
          if (m[2] !== undefined && m[3] === '') {
            if (lastAtomRisky) slow = true;
            top().hasUnbounded = true;
          }
          quantifierFollows();
          lastAtomRisky = false;
          break;
        }
        case '}':
        case ']':
          out += `\\${c}`; // literal in Java; a syntax error in JS unicode mode unless escaped
          lastAtomRisky = false;
          break;
        case '.':
          out += JAVA_DOT;
          lastAtomRisky = false;
          break;
        case '$':
          out += JAVA_DOLLAR;
          lastAtomRisky = false;
          break;
        case '[':
          out += characterClass();
          lastAtomRisky = false;
          break;
        default:
          out += c; // "^", "|" and literals mean the same in both dialects
          lastAtomRisky = false;
      }
    }
    if (groups.length !== 1) throw new Reject('unclosed "("', pattern.length);
    // Full-string match, as Java's String.matches (§12.6).
    return { ok: true, regex: new RegExp(`^(?:${out})$`, 'u'), slow };
  } catch (e) {
    if (e instanceof Reject) return { ok: false, message: e.message, offset: e.offset };
    if (e instanceof SyntaxError) return { ok: false, message: `invalid pattern: ${e.message}`, offset: 0 };
    throw e;
  }

  function characterClass(): string {
    const open = i - 1;
    let cls = '[';
    if (pattern[i] === '^') {
      cls += '^';
      i += 1;
    }
    let empty = true;
    for (;;) {
      const c = pattern[i];
      if (c === undefined) throw new Reject('unclosed character class "["', open);
      const at = i;
      i += 1;
      if (c === ']') {
        // Java reads a "]" right after "[" or "[^" as a literal; JS would end the class there.
        if (empty) {
          cls += '\\]';
          empty = false;
          continue;
        }
        return `${cls}]`;
      }
      empty = false;
      if (c === '[') throw new Reject('nested character classes (Java class union) are not supported', at);
      if (c === '&' && pattern[i] === '&') throw new Reject('character class intersection "&&" is not supported', at);
      if (c === '\\') {
        const e = pattern[i];
        if (e === undefined) throw new Reject('pattern ends with a lone backslash', at);
        i += 1;
        const mapped = PLAIN_ESCAPES[e];
        if (mapped === undefined) throw new Reject(`"\\${e}" is not supported inside a character class`, at);
        cls += mapped;
        continue;
      }
      cls += c;
    }
  }
}
