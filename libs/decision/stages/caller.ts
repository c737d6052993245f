/**
 * Stage 1, caller: may this TLS caller ask this question? The one place that decides who may ask what
 * (docs/callers.md): a well-formed request, the host the caller asks for (PRIMA's Resource rule), what the subject
 * rests on (a chain, a token, the caller's word) and whether this caller may rest it there. Its answer is one typed
 * `Standing` that the later stages read; none of them asks the caller model again.
 */
import { type AuthzRequest, type Dn, ErrorCodes } from '@gridauthz/domain';
import type { CallerAuthority, CallerVerdict } from '@gridauthz/mapping';
import { next, type Step, type Trail } from './outcome';

/** What the subject of the question rests on, as the request sent it. */
export type Claim =
  | { readonly kind: 'chain'; readonly chain: readonly Buffer[] }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'asserted'; readonly dn: Dn };

/** How the caller model let the caller ask. */
export type StandingKind = 'self' | 'pilot' | 'asserter' | 'asserted' | 'own-credentials';

/** The caller stage's verdict, read by the subject, policy and mapping stages. */
export interface Standing {
  readonly as: StandingKind;
  /**
   * The caller's own word about the subject is believed: the subject's attributes as asserted, and attributes only
   * a caller can know (x509-authn-profile, oidc-*), reach policy. Only for a trusted asserter.
   */
  readonly assertionsBelieved: boolean;
  /**
   * A pilot (or a CE) sent another subject's own credential: a payload mapping. A CE vouching for a submitter
   * without a chain asks about that user's own job, which may be a pilot, so that is not a payload.
   */
  readonly payload: boolean;
}

/** The caller stage's answer before the subject is known: the claim, and the standing when it needs no DN. */
export interface Admission {
  readonly claim: Claim;
  /** Undefined for a chain: who may send it depends on whose it is (`standingForChain` once verified). */
  readonly standing?: Standing;
}

export function standingOf(as: StandingKind): Standing {
  return { as, assertionsBelieved: as === 'asserter' || as === 'asserted', payload: as === 'pilot' || as === 'asserter' };
}

/** Admits the question or ends it: request defects, the host rule, the credential's shape, the caller's role. */
export function admitCaller(request: AuthzRequest, callers: CallerAuthority, trail: Trail): Step<Admission> {
  const defect = request.defects[0];
  if (defect) return trail.indeterminate(defect.kind, defect.code ?? `REQUEST_${defect.kind.toUpperCase().replace('-', '_')}`, `${defect.attribute}: ${defect.detail}`);

  // A caller asking on behalf of a host may ask only for the hosts it serves (prima-saml1.md §1.1, §11): Deny, as GUMS did.
  if (request.onBehalfOfHost !== undefined) {
    const host = callers.mayAskForHost(request.caller.dn, request.onBehalfOfHost, request.subject.assertedDn);
    if (!host.allowed) return trail.deny('CALLER_NOT_AUTHORIZED', host.reason);
  }

  const { chain, token, assertedDn } = request.subject;
  const hasChain = chain !== undefined && chain.length > 0;
  if (token !== undefined) {
    // Two credentials for one subject are two questions (docs/tokens.md): refused rather than one picked.
    if (hasChain || assertedDn) {
      return trail.indeterminate('syntax-error', ErrorCodes.REQUEST_AMBIGUOUS_CREDENTIAL, `the query carries a bearer token beside ${hasChain ? 'a certificate chain' : 'a subject-id'}; send one credential`);
    }
    const verdict = callers.mayAsk(request.caller.dn, { kind: 'token' });
    if (!verdict.allowed) return refused(verdict, trail);
    trail.note(`caller:${verdict.as}`);
    // A CE showing its job's token vouches for the job's own owner, who may be a pilot (like a PRIMA or ARC
    // question); only a pilot showing its payload's token asks for a payload mapping.
    const standing = standingOf(verdict.as);
    return next({ claim: { kind: 'token', token }, standing: verdict.as === 'asserter' ? { as: standing.as, assertionsBelieved: standing.assertionsBelieved, payload: false } : standing });
  }
  if (hasChain) return next({ claim: { kind: 'chain', chain } });
  if (assertedDn) {
    const verdict = callers.mayAsk(request.caller.dn, { kind: 'asserted', dn: assertedDn });
    if (!verdict.allowed) return refused(verdict, trail);
    return next({ claim: { kind: 'asserted', dn: assertedDn }, standing: standingOf(verdict.as) });
  }
  return trail.indeterminate('missing-attribute', 'SUBJECT_MISSING', 'the query names no subject (no certificate chain and no subject-id)');
}

/** Who may send this chain: its owner, a pilot (glexec) or a trusted asserter (a CE). Asked once the chain is verified. */
export function standingForChain(callers: CallerAuthority, caller: Dn, subjectDn: Dn, trail: Trail): Step<Standing> {
  const verdict = callers.mayAsk(caller, { kind: 'chain', dn: subjectDn });
  if (!verdict.allowed) return refused(verdict, trail);
  if (verdict.as !== 'self') trail.note(`caller:${verdict.as}`);
  return next(standingOf(verdict.as));
}

function refused(verdict: Extract<CallerVerdict, { allowed: false }>, trail: Trail) {
  return verdict.outcome === 'deny' ? trail.deny(verdict.code, verdict.detail) : trail.indeterminate('missing-attribute', verdict.code, verdict.detail);
}
