/**
 * SPL parser (policy-language.md §3 grammar, §12 corrections). The grammar nests at most three blocks deep, so
 * the parser uses one function per level and never recurses on input: deeply nested junk is just a syntax error.
 * It stops at the first lexical or syntax error, as Argus does.
 */
import { ErrorCodes } from '@gridauthz/domain';
import type {
  ActionNode,
  Assignment,
  DescriptionNode,
  ObligationNode,
  PolicyDiagnostic,
  PolicyDocument,
  Position,
  ResourceNode,
  RuleNode,
  TextValue,
} from './ast';
import { Lexer, type Keyword, type Token } from './lexer';

/** Policy files are hand-written; anything this large is a mistake or an attack on the parser. */
export const MAX_POLICY_CHARS = 8 * 1024 * 1024;

export interface SyntaxOptions {
  /** Report text after the last complete block as an error instead of ignoring it as Argus does (§12.2). */
  readonly strict?: boolean;
}

export interface SyntaxResult {
  /** Undefined when a lexical or syntax error stopped the parse. */
  readonly document: PolicyDocument | undefined;
  readonly diagnostics: readonly PolicyDiagnostic[];
}

class SyntaxFailure {
  constructor(readonly diagnostic: PolicyDiagnostic) {}
}

function describe(token: Token): string {
  switch (token.type) {
    case 'keyword':
      return `keyword "${token.keyword}"`;
    case 'text':
      return token.bare ? `"${token.value}"` : `quoted value "${token.value}"`;
    case 'eof':
      return 'end of file';
    case 'error':
      return token.message;
    default:
      return `"${token.type}"`;
  }
}

class Parser {
  private readonly lexer: Lexer;
  private lookahead: Token | undefined;

  constructor(text: string) {
    this.lexer = new Lexer(text);
  }

  get warnings(): readonly PolicyDiagnostic[] {
    return this.lexer.warnings;
  }

  peek(): Token {
    if (this.lookahead === undefined) {
      const token = this.lexer.next();
      if (token.type === 'error') {
        throw new SyntaxFailure({ line: token.pos.line, column: token.pos.column, code: ErrorCodes.POLICY_LEXICAL, severity: 'error', message: token.message });
      }
      this.lookahead = token;
    }
    return this.lookahead;
  }

  take(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  fail(token: Token, expected: string): never {
    throw new SyntaxFailure({
      line: token.pos.line,
      column: token.pos.column,
      code: ErrorCodes.POLICY_SYNTAX,
      severity: 'error',
      message: `expected ${expected}, found ${describe(token)}`,
    });
  }

  isKeyword(token: Token, ...keywords: Keyword[]): boolean {
    return token.type === 'keyword' && keywords.includes(token.keyword);
  }

  expect(type: '{' | '}' | '=', context: string): Token {
    const token = this.take();
    if (token.type !== type) this.fail(token, `"${type}" ${context}`);
    return token;
  }

  text(context: string): TextValue {
    const token = this.take();
    if (token.type !== 'text') {
      const hint = token.type === 'keyword' ? ' (a keyword used as a value must be quoted)' : '';
      this.fail(token, `a value ${context}${hint}`);
    }
    return { value: token.value, pos: token.pos };
  }

  assignment(context: string): Assignment {
    const id = this.text(`(attribute name) ${context}`);
    this.expect('=', `after attribute name "${id.value}"`);
    const value = this.text(`after "${id.value} ="`);
    return { id, value };
  }

  obligation(pos: Position): ObligationNode {
    const id = this.text('(obligation id) after "obligation"');
    this.expect('{', 'to open the obligation');
    const assignments: Assignment[] = [];
    while (this.peek().type !== '}') assignments.push(this.assignment('in obligation, or "}"'));
    this.take();
    return { kind: 'obligation', id, assignments, pos };
  }

  description(pos: Position): DescriptionNode {
    if (this.peek().type === '=') {
      this.fail(this.peek(), 'the description text directly after "description" (SPL has no "=" here)');
    }
    return { kind: 'description', text: this.text('after "description"'), pos };
  }

  rule(pos: Position): RuleNode {
    const effectToken = this.take();
    if (!this.isKeyword(effectToken, 'permit', 'deny')) this.fail(effectToken, '"permit" or "deny" after "rule"');
    const effect = effectToken.type === 'keyword' && effectToken.keyword === 'deny' ? 'deny' : 'permit';
    this.expect('{', `after "rule ${effect}"`);
    const assignments: Assignment[] = [this.assignment('(a rule needs at least one)')];
    while (this.peek().type !== '}') assignments.push(this.assignment('in rule, or "}"'));
    this.take();
    return { kind: 'rule', effect, assignments, pos };
  }

  action(pos: Position, isPrivate: boolean): ActionNode {
    const value = this.text('(action id pattern) after "action"');
    this.expect('{', 'to open the action block');
    const items: (DescriptionNode | ObligationNode | RuleNode)[] = [];
    do {
      const token = this.take();
      if (this.isKeyword(token, 'rule')) items.push(this.rule(token.pos));
      else if (this.isKeyword(token, 'obligation')) items.push(this.obligation(token.pos));
      else if (this.isKeyword(token, 'description')) items.push(this.description(token.pos));
      else this.fail(token, items.length === 0 ? '"rule", "obligation" or "description" (an action needs at least one)' : '"rule", "obligation", "description" or "}"');
    } while (this.peek().type !== '}');
    this.take();
    return { kind: 'action', private: isPrivate, value, items, pos };
  }

  resource(pos: Position): ResourceNode {
    const value = this.text('(resource id pattern) after "resource"');
    this.expect('{', 'to open the resource block');
    const items: (DescriptionNode | ObligationNode | ActionNode)[] = [];
    do {
      const token = this.take();
      if (this.isKeyword(token, 'action')) items.push(this.action(token.pos, false));
      else if (this.isKeyword(token, 'private')) items.push(this.privateAction(token.pos));
      else if (this.isKeyword(token, 'obligation')) items.push(this.obligation(token.pos));
      else if (this.isKeyword(token, 'description')) items.push(this.description(token.pos));
      else this.fail(token, items.length === 0 ? '"action", "private", "obligation" or "description" (a resource needs at least one)' : '"action", "private", "obligation", "description" or "}"');
    } while (this.peek().type !== '}');
    this.take();
    return { kind: 'resource', value, items, pos };
  }

  privateAction(pos: Position): ActionNode {
    const token = this.take();
    if (!this.isKeyword(token, 'action')) this.fail(token, '"action" after "private"');
    return this.action(pos, true);
  }

  document(strict: boolean): { document: PolicyDocument; trailing: PolicyDiagnostic | undefined } {
    const items: (ResourceNode | ActionNode)[] = [];
    for (;;) {
      const token = this.peek();
      if (this.isKeyword(token, 'resource')) {
        this.take();
        items.push(this.resource(token.pos));
      } else if (this.isKeyword(token, 'action')) {
        this.take();
        items.push(this.action(token.pos, false));
      } else if (this.isKeyword(token, 'private')) {
        this.take();
        items.push(this.privateAction(token.pos));
      } else if (items.length === 0) {
        this.fail(token, '"resource" or "action"');
      } else {
        // Argus stops at the first token that cannot start a block and silently drops the rest (§12.2).
        const trailing: PolicyDiagnostic | undefined =
          token.type === 'eof'
            ? undefined
            : {
                line: token.pos.line,
                column: token.pos.column,
                code: ErrorCodes.POLICY_TRAILING_TEXT,
                severity: strict ? 'error' : 'warning',
                message: `text after the last complete block is ignored (starts with ${describe(token)})`,
              };
        return { document: { items }, trailing };
      }
    }
  }
}

/** Lexes and parses SPL text to a syntax tree. Never throws. */
export function parseSyntax(text: string, options: SyntaxOptions = {}): SyntaxResult {
  if (text.length > MAX_POLICY_CHARS) {
    return {
      document: undefined,
      diagnostics: [
        { line: 1, column: 1, code: ErrorCodes.POLICY_TOO_LARGE, severity: 'error', message: `policy text exceeds ${MAX_POLICY_CHARS} characters` },
      ],
    };
  }
  const parser = new Parser(text);
  try {
    const { document, trailing } = parser.document(options.strict === true);
    return { document, diagnostics: trailing ? [...parser.warnings, trailing] : [...parser.warnings] };
  } catch (e) {
    if (e instanceof SyntaxFailure) return { document: undefined, diagnostics: [...parser.warnings, e.diagnostic] };
    throw e;
  }
}
