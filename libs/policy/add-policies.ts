/**
 * `pap-admin add-policies-from-file` (policy-language.md §6.3, §12.5) as a pure function over syntax trees:
 * a file of resource blocks is appended at the bottom; a file of top-level action blocks is appended to the
 * bottom of one existing resource block, which Argus names by its policy-set id (here: its index).
 */
import { ErrorCodes } from '@gridauthz/domain';
import type { ActionNode, PolicyDocument, ResourceNode } from './ast';
import type { PolicyFailure } from './policy';

export type AddPoliciesResult = { readonly ok: true; readonly value: PolicyDocument } | { readonly ok: false; readonly error: PolicyFailure };

function refuse(message: string): AddPoliciesResult {
  return {
    ok: false,
    error: {
      code: ErrorCodes.POLICY_NOT_STANDALONE,
      detail: message,
      diagnostics: [{ line: 0, column: 0, code: ErrorCodes.POLICY_NOT_STANDALONE, severity: 'error', message }],
    },
  };
}

/**
 * Adds the blocks of `fragment` to `document`. `resourceIndex` (0-based position among the top-level items) is
 * required for, and only allowed with, a fragment of top-level action blocks.
 */
export function withPoliciesFromFile(document: PolicyDocument, fragment: PolicyDocument, resourceIndex?: number): AddPoliciesResult {
  const kinds = new Set(fragment.items.map((i) => i.kind));
  if (kinds.size === 0) return refuse('the file has no policies');
  if (kinds.size > 1) return refuse('the file mixes resource blocks and top-level action blocks');
  if (kinds.has('resource')) {
    if (resourceIndex !== undefined) return refuse('a file of resource blocks cannot be added into a resource');
    return { ok: true, value: { items: [...document.items, ...fragment.items] } };
  }
  if (resourceIndex === undefined) return refuse('a file of action blocks needs the resource to add them to');
  const target = document.items[resourceIndex];
  if (target?.kind !== 'resource') return refuse(`there is no resource block at index ${resourceIndex}`);
  const updated: ResourceNode = { kind: 'resource', value: target.value, items: [...target.items, ...(fragment.items as readonly ActionNode[])], pos: target.pos };
  return { ok: true, value: { items: document.items.map((item, i) => (i === resourceIndex ? updated : item)) } };
}
