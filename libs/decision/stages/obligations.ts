/**
 * Stage 6, obligations: which obligations a Permit carries, and whether one of them asks for a local account
 * (docs/architecture.md, "Obligations"). Argus's contract: the policy's obligation drives mapping. Compatibility
 * default for policies that name no account-mapping obligation: a Permit of a query whose clients switch identity
 * (`accountExpected`) is mapped and carries the gLite map obligation, as before obligations reached the result.
 */
import { ACCOUNT_MAPPING_OBLIGATIONS, type AuthzRequest, GLITE_LOCAL_ENVIRONMENT_MAP, type Obligation } from '@gridauthz/domain';
import type { PolicyDecision, PolicyObligation, PolicySet } from '@gridauthz/policy';
import type { Outcome } from './outcome';

/** Setting policy.accountObligation. */
export const ACCOUNT_OBLIGATION_MODES = ['auto', 'required', 'implicit'] as const;
export type AccountObligationMode = (typeof ACCOUNT_OBLIGATION_MODES)[number];

/** The obligation the compatibility default adds to a mapped Permit (Argus's gLite map obligation). */
export const IMPLICIT_ACCOUNT_OBLIGATION = GLITE_LOCAL_ENVIRONMENT_MAP;

/** What a Permit asks of the enforcement point, before mapping fulfils it. */
export interface Obligated {
  /** In policy order: the resource block's, then the action block's; the compatibility obligation last. */
  readonly obligations: readonly Obligation[];
  /** An obligation asks for a local account: the mapping stage must fulfil it (or the Permit becomes a Deny). */
  readonly account: boolean;
}

export const isAccountObligation = (id: string): boolean => ACCOUNT_MAPPING_OBLIGATIONS.includes(id);

/** `auto` resolved against the policy set: required when the policy names an account-mapping obligation anywhere. */
export function resolveMode(mode: AccountObligationMode, policy: PolicySet): 'required' | 'implicit' {
  if (mode !== 'auto') return mode;
  return namesAccountObligation(policy) ? 'required' : 'implicit';
}

const NAMES_ACCOUNT = new WeakMap<PolicySet, boolean>();

/** Does any resource or action block of the set carry an account-mapping obligation? Memoised per (immutable) set. */
export function namesAccountObligation(policy: PolicySet): boolean {
  let names = NAMES_ACCOUNT.get(policy);
  if (names === undefined) {
    const account = (list: readonly PolicyObligation[]): boolean => list.some((o) => isAccountObligation(o.id));
    names = policy.resources.some((r) => account(r.obligations) || r.actions.some((a) => account(a.obligations)));
    NAMES_ACCOUNT.set(policy, names);
  }
  return names;
}

/** The obligations of a policy Permit under the site's contract. */
export function obligationsOf(mode: AccountObligationMode, policy: PolicySet, permit: PolicyDecision, request: AuthzRequest): Obligated {
  const stated: Obligation[] = permit.obligations.map((o) => ({
    id: o.id,
    fulfillOn: 'Permit',
    assignments: o.attributes.map((a) => ({ id: a.id, value: a.value, dataType: a.dataType })),
  }));
  if (resolveMode(mode, policy) === 'required') return { obligations: stated, account: stated.some((o) => isAccountObligation(o.id)) };
  // implicit: the protocol, not the policy, says whether the Permit is mapped.
  if (request.accountExpected !== true) return { obligations: stated.filter((o) => !isAccountObligation(o.id)), account: false };
  const named = stated.some((o) => isAccountObligation(o.id));
  return { obligations: named ? stated : [...stated, { id: IMPLICIT_ACCOUNT_OBLIGATION, fulfillOn: 'Permit', assignments: [] }], account: true };
}

/**
 * The obligations the result carries: those whose FulfillOn is the decision (SPL states Permit obligations only, so
 * a Deny carries none today). An account-mapping obligation is carried only with the account that fulfils it.
 */
export function resultObligations(obligated: Obligated | undefined, outcome: Outcome): readonly Obligation[] {
  if (!obligated || (outcome.decision !== 'Permit' && outcome.decision !== 'Deny')) return [];
  return obligated.obligations.filter((o) => o.fulfillOn === outcome.decision && (outcome.account !== undefined || !isAccountObligation(o.id)));
}
