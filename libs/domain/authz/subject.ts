import type { Dn } from '../name/dn';
import type { Fqan } from '../name/fqan';
import { EMI_MAP_LOCAL_USER, GLITE_LOCAL_ENVIRONMENT_MAP } from '../vocabulary/obligations';

/**
 * A bearer token's identity (docs/tokens.md §2.1): the subject is unique only within its issuer, so the pair is the
 * identity and is compared as a pair of exact strings, never as one rendered string.
 */
export interface TokenIdentity {
  readonly issuer: string;
  readonly subject: string;
}

/**
 * The subject of a decision as the subject stage established it, whatever the credential: an X.509 chain (with VOMS
 * attributes), a trusted caller's assertion, or a bearer token. At least one of `dn` and `token` is set. Bans,
 * policy and mapping read this and nothing protocol-specific (docs/architecture.md, "Identity seam").
 */
export interface Subject {
  /** The X.509 identity (end-entity DN of the chain, or the DN a trusted asserter named). */
  readonly dn?: Dn;
  /** The token identity, when the credential was a bearer token. */
  readonly token?: TokenIdentity;
  /** Issuer (CA) of the end-entity certificate, for CA bans and subject-issuer policy. */
  readonly issuerDn?: Dn;
  /** Every CA DN on the path, for the SPL subject-issuer attribute. */
  readonly issuerDns: readonly Dn[];
  /** VOMS FQANs, primary first. Empty for a token (its groups are in `groups`). */
  readonly fqans: readonly Fqan[];
  readonly primaryFqan?: Fqan;
  readonly vos: readonly string[];
  /** Token groups (wlcg.groups), in the issuer's order, the first being the primary group. */
  readonly groups?: readonly string[];
  /** Token scopes, in order. */
  readonly scopes?: readonly string[];
  readonly limited: boolean;
  /** Attributes that failed verification and were dropped, e.g. "CRED_AC_EXPIRED: …" (the credential still identifies the subject). */
  readonly droppedAttributes: readonly string[];
  /**
   * Further policy attributes this credential established, keyed by the policy language's short names (e.g.
   * oidc-issuer, oidc-subject, oidc-group); the policy stage adds them to what it derives from the fields above.
   */
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
}

/** One value an obligation carries to the enforcement point (XACML AttributeAssignment). */
export interface ObligationAssignment {
  readonly id: string;
  readonly value: string;
  /** XACML data type URI; string when absent. */
  readonly dataType?: string;
}

/**
 * An obligation of the decision, as the matched policy rule stated it (docs/architecture.md, "Obligations"). An
 * obligation whose id is in ACCOUNT_MAPPING_OBLIGATIONS asks for a local account: the mapping stage fulfils it and
 * the result then carries `account`; each codec renders it under its own protocol's obligation ids.
 */
export interface Obligation {
  readonly id: string;
  readonly fulfillOn: 'Permit' | 'Deny';
  readonly assignments: readonly ObligationAssignment[];
}

/**
 * Obligation ids with which a policy asks for a local account (policy-language.md: Argus's gLite map obligation,
 * the EMI/dci-sec one). Mapping happens because the policy said so, as in Argus (docs/architecture.md).
 */
export const ACCOUNT_MAPPING_OBLIGATIONS: readonly string[] = Object.freeze([GLITE_LOCAL_ENVIRONMENT_MAP, EMI_MAP_LOCAL_USER]);
