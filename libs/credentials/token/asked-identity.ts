import { GROUP, PRINTABLE_ASCII } from './validator';

/** A token identity an operator typed (what-if mapping) rather than one a validated token carried. */
export interface AskedTokenIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** wlcg.groups, the primary first. */
  readonly groups: readonly string[];
}

export type AskedTokenIdentityCheck =
  | { readonly ok: true; readonly value: AskedTokenIdentity }
  | { readonly ok: false; readonly field: 'issuer' | 'subject' | 'groups'; readonly detail: string };

/**
 * Checks a typed token identity with the grammar a token must pass (TokenValidator, tokens.issuers): the issuer an
 * exact iss (not empty, no surrounding white space), the subject a non-empty printable ASCII `sub`, each group
 * /name[/name...] and listed once. An identity no valid token could carry is refused, not answered.
 */
export function checkAskedTokenIdentity(asked: AskedTokenIdentity): AskedTokenIdentityCheck {
  const { issuer, subject, groups } = asked;
  if (issuer === '' || issuer !== issuer.trim()) return { ok: false, field: 'issuer', detail: `issuer ${JSON.stringify(issuer)} is not an exact iss (empty, or white space around it)` };
  if (subject === '') return { ok: false, field: 'subject', detail: 'the subject is empty (a token always has a sub)' };
  if (!PRINTABLE_ASCII.test(subject)) return { ok: false, field: 'subject', detail: `subject ${JSON.stringify(subject)} is not printable ASCII, as a token's sub must be` };
  const seen = new Set<string>();
  for (const g of groups) {
    if (!GROUP.test(g)) return { ok: false, field: 'groups', detail: `group ${JSON.stringify(g)} is not /name[/name...] (a wlcg.groups entry starts with "/")` };
    if (seen.has(g)) return { ok: false, field: 'groups', detail: `group ${g} is listed twice` };
    seen.add(g);
  }
  return { ok: true, value: { issuer, subject, groups: [...groups] } };
}
