/**
 * `pap-admin ban` / `un-ban` (policy-language.md §6.3, mapping.md §4.3) as pure functions over the syntax tree:
 * ban inserts `rule deny { <id> = "<value>" }` first into the first matching resource/action block (creating
 * them at the top when needed) and is idempotent; un-ban removes the first such deny rule and prunes emptied blocks.
 */
import { ErrorCodes } from '@gridauthz/domain';
import { NO_POSITION, type ActionNode, type PolicyDocument, type ResourceNode, type RuleNode } from './ast';
import { attributeValueKey } from './compile';
import { Lexer } from './lexer';
import type { PolicyFailure, PolicyResult } from './policy';
import { quote } from './printer';

export interface BanOptions {
  /** Resource pattern of the ban block; Argus's default is ".*". */
  readonly resource?: string;
  /** Action pattern of the ban block; Argus's default is ".*". */
  readonly action?: string;
  /** Ban into a private action block (not distributed to other PAPs). */
  readonly private?: boolean;
}

export interface BanOutcome {
  readonly document: PolicyDocument;
  /** False when the ban already existed (ban) or was not found (un-ban); the document is then returned unchanged. */
  readonly changed: boolean;
}

const text = (value: string) => ({ value, pos: NO_POSITION });

/** Can this value be written as an SPL quoted value and read back unchanged? */
function representable(value: string): boolean {
  const lexer = new Lexer(quote(value));
  const token = lexer.next();
  return token.type === 'text' && token.value === value && lexer.next().type === 'eof';
}

function invalid(message: string): { ok: false; error: PolicyFailure } {
  const diagnostics = [{ line: 0, column: 0, code: ErrorCodes.POLICY_BAD_VALUE, severity: 'error' as const, message }];
  return { ok: false, error: { code: ErrorCodes.POLICY_BAD_VALUE, detail: message, diagnostics } };
}

function validate(attribute: string, value: string, options: BanOptions): PolicyResult<{ key: string; stored: string }> {
  for (const [what, v] of [
    ['value', value],
    ['resource', options.resource ?? '.*'],
    ['action', options.action ?? '.*'],
  ] as const) {
    if (!representable(v)) return invalid(`${what} "${v}" cannot be written in SPL (newline or unsupported backslash escape)`);
  }
  const checked = attributeValueKey(attribute, value);
  if (!checked.ok) {
    const first = checked.diagnostics[0];
    return { ok: false, error: { code: first?.code ?? ErrorCodes.POLICY_BAD_VALUE, detail: first?.message ?? 'invalid ban', diagnostics: checked.diagnostics } };
  }
  // Argus stores DNs converted to RFC 2253 (§4.3 list-policies output); keep the typed form if that is not writable.
  const stored = representable(checked.xacmlValue) ? checked.xacmlValue : value;
  return { ok: true, value: { key: checked.key, stored }, warnings: [] };
}

function ruleHas(rule: RuleNode, attribute: string, key: string): boolean {
  return rule.assignments.some((a) => {
    if (a.id.value !== attribute) return false;
    const k = attributeValueKey(attribute, a.value.value);
    return k.ok && k.key === key;
  });
}

function insertBefore<T extends { kind: string }, U extends T>(items: readonly T[], kind: string, node: U): T[] {
  const at = items.findIndex((i) => i.kind === kind);
  const copy = [...items];
  copy.splice(at < 0 ? copy.length : at, 0, node);
  return copy;
}

export function withBan(document: PolicyDocument, attribute: string, value: string, options: BanOptions = {}): PolicyResult<BanOutcome> {
  const checked = validate(attribute, value, options);
  if (!checked.ok) return checked;
  const { key, stored } = checked.value;
  const resourceValue = options.resource ?? '.*';
  const actionValue = options.action ?? '.*';
  const isPrivate = options.private === true;
  const denyRule: RuleNode = { kind: 'rule', effect: 'deny', assignments: [{ id: text(attribute), value: text(stored) }], pos: NO_POSITION };
  const newAction: ActionNode = { kind: 'action', private: isPrivate, value: text(actionValue), items: [denyRule], pos: NO_POSITION };

  const first = document.items[0];
  if (first?.kind !== 'resource' || first.value.value !== resourceValue) {
    const created: ResourceNode = { kind: 'resource', value: text(resourceValue), items: [newAction], pos: NO_POSITION };
    return { ok: true, value: { document: { items: [created, ...document.items] }, changed: true }, warnings: [] };
  }
  const firstAction = first.items.find((i): i is ActionNode => i.kind === 'action');
  let resource: ResourceNode;
  if (firstAction?.value.value !== actionValue || firstAction.private !== isPrivate) {
    resource = { kind: 'resource', value: first.value, items: insertBefore(first.items, 'action', newAction), pos: first.pos };
  } else {
    const exists = firstAction.items.some((i) => i.kind === 'rule' && i.effect === 'deny' && ruleHas(i, attribute, key));
    if (exists) return { ok: true, value: { document, changed: false }, warnings: [] };
    const action: ActionNode = { kind: 'action', private: firstAction.private, value: firstAction.value, items: insertBefore(firstAction.items, 'rule', denyRule), pos: firstAction.pos };
    resource = { kind: 'resource', value: first.value, items: first.items.map((i) => (i === firstAction ? action : i)), pos: first.pos };
  }
  return { ok: true, value: { document: { items: [resource, ...document.items.slice(1)] }, changed: true }, warnings: [] };
}

export function withoutBan(document: PolicyDocument, attribute: string, value: string, options: BanOptions = {}): PolicyResult<BanOutcome> {
  const checked = validate(attribute, value, options);
  if (!checked.ok) return checked;
  const { key } = checked.value;
  const resourceValue = options.resource ?? '.*';
  const actionValue = options.action ?? '.*';
  for (const [ri, resource] of document.items.entries()) {
    if (resource.kind !== 'resource' || resource.value.value !== resourceValue) continue;
    const action = resource.items.find((i): i is ActionNode => i.kind === 'action' && i.value.value === actionValue);
    if (!action) continue;
    const rule = action.items.find((i): i is RuleNode => i.kind === 'rule' && i.effect === 'deny' && ruleHas(i, attribute, key));
    if (!rule) continue;
    const actionItems = action.items.filter((i) => i !== rule);
    // An action left without rules is deleted, as Argus deletes the emptied policy; then an empty resource too.
    const resourceItems = actionItems.some((i) => i.kind === 'rule')
      ? resource.items.map((i) => (i === action ? { kind: 'action' as const, private: action.private, value: action.value, items: actionItems, pos: action.pos } : i))
      : resource.items.filter((i) => i !== action);
    const items = [...document.items];
    if (resourceItems.length === 0) items.splice(ri, 1);
    else items[ri] = { kind: 'resource', value: resource.value, items: resourceItems, pos: resource.pos };
    return { ok: true, value: { document: { items }, changed: true }, warnings: [] };
  }
  return { ok: true, value: { document, changed: false }, warnings: [] };
}
