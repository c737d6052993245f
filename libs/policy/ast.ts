/**
 * SPL syntax tree (policy-language.md §3). Values are kept exactly as Argus keeps them: delimiters stripped,
 * escape sequences verbatim (§2). Positions are 1-based line and column (UTF-16 code units) of the first token.
 */
import { ErrorCodes } from '@gridauthz/domain';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface TextValue {
  readonly value: string;
  readonly pos: Position;
}

export interface Assignment {
  readonly id: TextValue;
  readonly value: TextValue;
}

export interface DescriptionNode {
  readonly kind: 'description';
  readonly text: TextValue;
  readonly pos: Position;
}

export interface ObligationNode {
  readonly kind: 'obligation';
  readonly id: TextValue;
  readonly assignments: readonly Assignment[];
  readonly pos: Position;
}

export interface RuleNode {
  readonly kind: 'rule';
  readonly effect: 'permit' | 'deny';
  readonly assignments: readonly Assignment[];
  readonly pos: Position;
}

export interface ActionNode {
  readonly kind: 'action';
  readonly private: boolean;
  readonly value: TextValue;
  readonly items: readonly (DescriptionNode | ObligationNode | RuleNode)[];
  readonly pos: Position;
}

export interface ResourceNode {
  readonly kind: 'resource';
  readonly value: TextValue;
  readonly items: readonly (DescriptionNode | ObligationNode | ActionNode)[];
  readonly pos: Position;
}

export interface PolicyDocument {
  readonly items: readonly (ResourceNode | ActionNode)[];
}

export type DiagnosticCode =
  | typeof ErrorCodes.POLICY_LEXICAL
  | typeof ErrorCodes.POLICY_SYNTAX
  | typeof ErrorCodes.POLICY_TRAILING_TEXT
  | typeof ErrorCodes.POLICY_COMMENT_HASH
  | typeof ErrorCodes.POLICY_UNKNOWN_ATTRIBUTE
  | typeof ErrorCodes.POLICY_BAD_VALUE
  | typeof ErrorCodes.POLICY_UNSUPPORTED_REGEX
  | typeof ErrorCodes.POLICY_DUPLICATE
  | typeof ErrorCodes.POLICY_NEVER_MATCHES
  | typeof ErrorCodes.POLICY_SLOW_REGEX
  | typeof ErrorCodes.POLICY_NOT_STANDALONE
  | typeof ErrorCodes.POLICY_TOO_LARGE
  | typeof ErrorCodes.POLICY_CASES_INVALID;

export interface PolicyDiagnostic {
  readonly line: number;
  readonly column: number;
  readonly code: DiagnosticCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export const NO_POSITION: Position = Object.freeze({ line: 0, column: 0 });

/** A position-free copy for structural comparison (printer round-trips, ban edits). */
export function withoutPositions(doc: PolicyDocument): unknown {
  const text = (t: TextValue): string => t.value;
  const assignments = (as: readonly Assignment[]): unknown => as.map((a) => ({ id: text(a.id), value: text(a.value) }));
  const leaf = (n: DescriptionNode | ObligationNode | RuleNode): unknown => {
    switch (n.kind) {
      case 'description':
        return { kind: n.kind, text: text(n.text) };
      case 'obligation':
        return { kind: n.kind, id: text(n.id), assignments: assignments(n.assignments) };
      case 'rule':
        return { kind: n.kind, effect: n.effect, assignments: assignments(n.assignments) };
    }
  };
  const action = (a: ActionNode): unknown => ({ kind: 'action', private: a.private, value: text(a.value), items: a.items.map(leaf) });
  return {
    items: doc.items.map((item) =>
      item.kind === 'action'
        ? action(item)
        : { kind: 'resource', value: text(item.value), items: item.items.map((i) => (i.kind === 'action' ? action(i) : leaf(i))) },
    ),
  };
}
