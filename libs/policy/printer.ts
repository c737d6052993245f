/**
 * Canonical SPL rendering (policy-language.md §6.4): 4-space indent, values in double quotes exactly as stored,
 * one-line rules when they have one attribute. Unlike `pap-admin list-policies` it writes `description "…"`
 * and quotes the ids `action`/`resource` (§12.4), so the output always parses back to the same tree.
 */
import type { ActionNode, Assignment, DescriptionNode, ObligationNode, PolicyDocument, ResourceNode, RuleNode } from './ast';
import { isBareWord, isKeyword } from './lexer';

const INDENT = '    ';

/** Does the raw value contain a delimiter that no backslash escapes? Then it came from the other quote style. */
function hasUnescaped(value: string, quote: string): boolean {
  for (let i = 0; i < value.length; i += 1) {
    const c = value[i];
    if (c === '\\') i += 1;
    else if (c === quote) return true;
  }
  return false;
}

/** Values are stored with escapes verbatim, so printing never re-escapes; only the delimiter may change. */
export function quote(value: string): string {
  return hasUnescaped(value, '"') ? `'${value}'` : `"${value}"`;
}

function attributeId(id: string): string {
  return isBareWord(id) && !isKeyword(id) ? id : quote(id);
}

function assignment(a: Assignment): string {
  return `${attributeId(a.id.value)}=${quote(a.value.value)}`;
}

/** One rule as a single line, e.g. `rule deny { subject="CN=x" }` — the form audit records quote. */
export function printRuleInline(rule: RuleNode): string {
  return `rule ${rule.effect} { ${rule.assignments.map(assignment).join(' ')} }`;
}

function rule(r: RuleNode, indent: string, out: string[]): void {
  if (r.assignments.length === 1) {
    out.push(`${indent}${printRuleInline(r)}`);
    return;
  }
  out.push(`${indent}rule ${r.effect} {`);
  for (const a of r.assignments) out.push(`${indent}${INDENT}${assignment(a)}`);
  out.push(`${indent}}`);
}

function obligation(o: ObligationNode, indent: string, out: string[]): void {
  if (o.assignments.length === 0) {
    out.push(`${indent}obligation ${quote(o.id.value)} {}`);
    return;
  }
  out.push(`${indent}obligation ${quote(o.id.value)} {`);
  for (const a of o.assignments) out.push(`${indent}${INDENT}${assignment(a)}`);
  out.push(`${indent}}`);
}

function description(d: DescriptionNode, indent: string, out: string[]): void {
  out.push(`${indent}description ${quote(d.text.value)}`);
}

function action(a: ActionNode, indent: string, out: string[]): void {
  if (a.private) out.push(`${indent}private`);
  out.push(`${indent}action ${quote(a.value.value)} {`);
  const inner = indent + INDENT;
  for (const item of a.items) {
    if (item.kind === 'rule') rule(item, inner, out);
    else if (item.kind === 'obligation') obligation(item, inner, out);
    else description(item, inner, out);
  }
  out.push(`${indent}}`);
}

function resource(r: ResourceNode, out: string[]): void {
  out.push(`resource ${quote(r.value.value)} {`);
  for (const item of r.items) {
    if (item.kind === 'action') action(item, INDENT, out);
    else if (item.kind === 'obligation') obligation(item, INDENT, out);
    else description(item, INDENT, out);
  }
  out.push('}');
}

export function printPolicy(doc: PolicyDocument): string {
  const blocks = doc.items.map((item) => {
    const out: string[] = [];
    if (item.kind === 'resource') resource(item, out);
    else action(item, '', out);
    return out.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}
