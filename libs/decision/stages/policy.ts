/** Stage 4, policy: the site policy (SPL, first-applicable) decides Permit, Deny or NotApplicable. */
import type { AuthzRequest, Fqan, Subject } from '@gridauthz/domain';
import { attributeDefinition, evaluate, type PolicyDecision, type PolicyRequest, type PolicySet } from '@gridauthz/policy';
import type { Standing } from './caller';
import { next, stop, type Step, type Trail } from './outcome';

/** Evaluates the policy; only a Permit goes on (to mapping), with the matched rule's obligations. */
export function decidePolicy(policy: PolicySet | undefined, request: AuthzRequest, subject: Subject, standing: Standing, trail: Trail): Step<PolicyPermit> {
  if (!policy) return trail.indeterminate('processing-error', 'POLICY_NOT_LOADED', 'no site policy is loaded');
  const decision = evaluate(policy, policyRequest(request, subject, standing.assertionsBelieved));
  if (decision.matched) trail.note(`policy:${decision.matched.policyId}#${decision.matched.ruleIndex}@${decision.matched.source}:${decision.matched.line}`);
  if (decision.decision === 'Indeterminate') {
    return trail.indeterminate('processing-error', 'POLICY_INDETERMINATE', decision.detail ?? 'the site policy could not be evaluated');
  }
  if (decision.decision !== 'Permit') return stop({ decision: decision.decision, status: 'ok' });
  return next({ policy, permit: decision });
}

/** A Permit, and the policy set that gave it (the obligations stage reads the set's contract). */
export interface PolicyPermit {
  readonly policy: PolicySet;
  readonly permit: PolicyDecision;
}

/**
 * The request as site policy sees it, every SPL attribute filled as Argus's PEPd PIPs fill it (docs/dialects.md):
 * the identity attributes from the subject as verified (or as a trusted caller asserted it), under both the gLite
 * and the EMI names, so a policy written for either profile matches whichever dialect the client spoke; then the
 * attributes the credential itself established (`subject.attributes`, e.g. a token's oidc-*). Attributes that only
 * the caller can know (x509-authn-profile, oidc-*) are read from the request, and only when `assertionsBelieved`
 * (the caller stage let the caller ask as a trusted asserter).
 */
export function policyRequest(request: AuthzRequest, subject: Subject, assertionsBelieved: boolean): PolicyRequest {
  const attributes: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  const put = (name: string, values: readonly string[]): void => {
    const unique = [...new Set(values)];
    if (unique.length > 0) attributes[name] = unique;
  };
  /** Adds to what is there: a credential's own attributes and a trusted caller's may name the same attribute. */
  const add = (name: string, values: readonly string[]): void => put(name, [...(attributes[name] ?? []), ...values]);
  if (subject.issuerDn) {
    put('x509-subject-issuer', [subject.issuerDn.toRfc2253()]);
    put('emi-x509-subject-issuer', [subject.issuerDn.toRfc2253()]);
  }
  put('emi-subject-issuer', subject.issuerDns.map((dn) => dn.toRfc2253()));
  put('emi-vo', subject.vos);
  put('emi-group', subject.fqans.map((f) => f.group));
  put('emi-role', subject.fqans.flatMap((f) => (f.role === null ? [] : [f.role])));
  const primary = subject.primaryFqan ?? subject.fqans[0];
  if (primary) {
    put('emi-primary-group', [primary.group]);
    if (primary.role !== null) put('emi-primary-role', [primary.role]);
  }
  // The codec's resource attributes (EMI resource-owner, which Argus reads as x500Name under a string-equal match,
  // so a policy naming it is Indeterminate on such a request, policy-language.md §12.8): as sent.
  for (const [name, values] of Object.entries(request.resourceAttributes ?? {})) put(name, values);
  const classifier = request.pilotJob?.classifier;
  if (classifier !== undefined) put('pilot-classifier', [classifier]);
  const established = subject.attributes;
  if (established !== undefined) for (const name of Object.keys(established)) add(name, established[name] ?? []);
  if (assertionsBelieved) {
    const sent = request.subject.attributes ?? {};
    for (const name of CALLER_KNOWN_ATTRIBUTES) {
      // A token subject's oidc-* come from its verified claims only: a caller may not add a group the token lacks.
      if (subject.token !== undefined && name.startsWith('oidc-')) continue;
      const definition = attributeDefinition(name);
      const values = definition === undefined ? undefined : sent[definition.xacmlId];
      if (values !== undefined) add(name, values);
    }
  }
  // Built by assignment, not by spreading `{ dn }` conditionally: that spread made this function several times
  // slower in V8, and it runs on every decision.
  const identity: { -readonly [K in keyof PolicyRequest['subject']]: PolicyRequest['subject'][K] } = { fqans: subject.fqans as Fqan[], issuerDns: subject.issuerDns, vo: subject.vos };
  if (subject.dn) identity.dn = subject.dn;
  if (primary) identity.primaryFqan = primary;
  return { subject: identity, resource: request.resource, action: request.action, attributes };
}

/** SPL attributes no credential carries: the caller's PIPs computed them (Argus PEPd), so they are its assertions. */
const CALLER_KNOWN_ATTRIBUTES = [
  'x509-authn-profile',
  'emi-x509-authn-profile',
  'oidc-issuer',
  'oidc-organisation',
  'oidc-subject',
  'oidc-group',
  'oidc-scope',
  'oidc-user-id',
  'oidc-client-id',
] as const;
