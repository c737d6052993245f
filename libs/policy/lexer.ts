/**
 * SPL lexer (policy-language.md §2). Pull-based on purpose: Argus's generated parser only lexes the token it
 * needs next, so junk after the last complete block is ignored unless its first token is itself unlexable (§12.2).
 */
import { ErrorCodes } from '@gridauthz/domain';
import type { PolicyDiagnostic, Position } from './ast';

export const KEYWORDS = ['resource', 'action', 'rule', 'permit', 'deny', 'obligation', 'description', 'private'] as const;
export type Keyword = (typeof KEYWORDS)[number];
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

export type Token =
  | { readonly type: 'keyword'; readonly keyword: Keyword; readonly pos: Position }
  | { readonly type: '{' | '}' | '=' | 'eof'; readonly pos: Position }
  | { readonly type: 'text'; readonly value: string; readonly bare: boolean; readonly pos: Position }
  | { readonly type: 'error'; readonly message: string; readonly pos: Position };

const isBareChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;

export function isBareWord(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i += 1) if (!isBareChar(value.charCodeAt(i))) return false;
  return true;
}

export function isKeyword(value: string): value is Keyword {
  return KEYWORD_SET.has(value);
}

/** Escapes the lexer accepts after a backslash (§2); octal digits are accepted in any grouping. */
const SIMPLE_ESCAPES = new Set(['n', 't', 'b', 'r', 'f', '\\', "'", '"']);

export class Lexer {
  private i = 0;
  private line = 1;
  private column = 1;
  readonly warnings: PolicyDiagnostic[] = [];

  constructor(private readonly text: string) {}

  private advance(): void {
    const c = this.text.charCodeAt(this.i);
    this.i += 1;
    // CR LF, lone CR and lone LF each end one line for position purposes.
    if (c === 0x0a || (c === 0x0d && this.text.charCodeAt(this.i) !== 0x0a)) {
      this.line += 1;
      this.column = 1;
    } else {
      this.column += 1;
    }
  }

  private here(): Position {
    return { line: this.line, column: this.column };
  }

  next(): Token {
    const text = this.text;
    for (;;) {
      if (this.i >= text.length) return { type: 'eof', pos: this.here() };
      const c = text[this.i] as string;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
        this.advance();
        continue;
      }
      if (c === '#') {
        const start = this.here();
        this.advance();
        // Argus quirk: a comment ends at the next newline *or* the next "#" (bwparser ONE_LINE_COMMENT).
        for (;;) {
          if (this.i >= text.length) {
            return { type: 'error', message: 'comment runs to end of file without a newline (Argus rejects this)', pos: start };
          }
          const d = text[this.i];
          if (d === '\n') {
            this.advance();
            break;
          }
          if (d === '#') {
            const end = this.here();
            this.advance();
            if (this.codeFollowsOnLine()) {
              this.warnings.push({
                line: end.line,
                column: end.column,
                code: ErrorCodes.POLICY_COMMENT_HASH,
                severity: 'warning',
                message: 'this "#" ends the comment: the rest of the line is read as policy text',
              });
            }
            break;
          }
          this.advance();
        }
        continue;
      }
      const pos = this.here();
      if (c === '{' || c === '}' || c === '=') {
        this.advance();
        return { type: c, pos };
      }
      if (c === '"' || c === "'") return this.quoted(c, pos);
      if (isBareChar(text.charCodeAt(this.i))) {
        const start = this.i;
        while (this.i < text.length && isBareChar(text.charCodeAt(this.i))) this.advance();
        const word = text.slice(start, this.i);
        if (isKeyword(word)) return { type: 'keyword', keyword: word, pos };
        return { type: 'text', value: word, bare: true, pos };
      }
      const shown = c === '\u0000' ? '\\0' : JSON.stringify(String.fromCodePoint(text.codePointAt(this.i) ?? 0));
      const hint = c === '/' || c === '.' || c === ':' || c === '*' ? ' (values containing it must be quoted)' : '';
      return { type: 'error', message: `unexpected character ${shown}${hint}`, pos };
    }
  }

  /** After a comment-closing "#": does policy text (not blanks, not another comment) follow on this line? */
  private codeFollowsOnLine(): boolean {
    for (let j = this.i; j < this.text.length; j += 1) {
      const d = this.text[j];
      if (d === '\n' || d === '\r' || d === '#') return false;
      if (d !== ' ' && d !== '\t' && d !== '\f') return true;
    }
    return false;
  }

  private quoted(quote: '"' | "'", pos: Position): Token {
    const text = this.text;
    this.advance();
    const start = this.i;
    for (;;) {
      if (this.i >= text.length) return { type: 'error', message: `unterminated ${quote}-quoted value`, pos };
      const d = text[this.i] as string;
      if (d === quote) {
        const value = text.slice(start, this.i);
        this.advance();
        return { type: 'text', value, bare: false, pos };
      }
      if (d === '\n' || d === '\r') return { type: 'error', message: 'quoted value runs past the end of the line', pos };
      if (d === '\\') {
        const escPos = this.here();
        const e = text[this.i + 1];
        if (e === undefined || (!SIMPLE_ESCAPES.has(e) && !(e >= '0' && e <= '7'))) {
          const seq = e === undefined ? '\\' : `\\${e}`;
          return {
            type: 'error',
            message: `"${seq}" is not an escape SPL accepts (only \\n \\t \\b \\r \\f \\\\ \\' \\" and octal); for a regex dot use [.]`,
            pos: escPos,
          };
        }
        this.advance();
        this.advance();
        continue;
      }
      this.advance();
    }
  }
}
