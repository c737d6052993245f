import type { Dn } from '../name/dn';
import type { Fqan } from '../name/fqan';
import type { Obligation } from './subject';

/**
 * The name of the dialect a message came in (authz-interop, grid-wn, prima, …), chosen by the codec that decoded it
 * and recorded with the decision. The core never inspects it (docs/architecture.md, "Codecs"): what a dialect
 * means for the decision travels in fields such as `accountExpected`.
 */
export type Dialect = string;

export type DecisionValue = 'Permit' | 'Deny' | 'NotApplicable' | 'Indeterminate';

/** A local POSIX account as glexec and CEs need it. */
export interface Account {
  readonly username: string;
  readonly uid: number;
  readonly gid: number;
  readonly groupName?: string;
  readonly secondaryGids: readonly number[];
  readonly secondaryGroupNames?: readonly string[];
}

/** The authenticated TLS peer that asked the question (a host, a CE, or a pilot job's proxy). */
export interface Caller {
  /** End-entity DN of the TLS client chain (the proxy's owner when the caller used a proxy). */
  readonly dn: Dn;
  readonly viaProxy: boolean;
  /**
   * The caller's own DER chain (leaf first), when the transport has it: a caller asking about itself is answered
   * from what this chain (its VOMS ACs) says, never from attributes it asserts.
   */
  readonly chain?: readonly Buffer[];
  /** Serial number (hex) of the caller's end-entity certificate, for the decision record. */
  readonly certSerial?: string;
  /** Issuer (CA) of the caller's end-entity certificate, for the decision record. */
  readonly certIssuer?: Dn;
  /** The TCP peer the question came from (IPv4-mapped IPv6 shown as IPv4), for the decision record. */
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
}

/**
 * Something the message lacked or carried unparsably. The decision answers Indeterminate with this status
 * (each codec then renders it in its dialect, e.g. authz-interop turns missing-attribute into processing-error).
 */
export interface RequestDefect {
  readonly kind: 'missing-attribute' | 'syntax-error';
  /** The attribute (protocol id) or part ("subject") concerned. */
  readonly attribute: string;
  readonly detail: string;
  /** Specific reason code recorded for the decision (e.g. REQUEST_AMBIGUOUS_CHAIN); default from `kind`. */
  readonly code?: string;
}

/** The identity of a pilot job that calls glexec on behalf of the subject (the payload owner). */
export interface PilotJob {
  readonly dn?: Dn;
  readonly issuerDn?: Dn;
  readonly vo?: string;
  readonly fqans?: readonly Fqan[];
  readonly primaryFqan?: Fqan;
  /** gLite pilot-job-classifier action attribute, verbatim. */
  readonly classifier?: string;
}

/** What a message asks, before the transport adds who asked (the TLS caller). */
export interface AuthzQuery {
  readonly dialect: Dialect;
  /** The message's own id (SAML query ID), for the audit line; not unique across clients. */
  readonly requestId?: string;
  /** The message's self-declared issuer, for the log only: callers are authorized by their TLS identity. */
  readonly messageIssuer?: string;
  /** The profile the message declared (gLite / EMI profile-id), verbatim. */
  readonly profileId?: string;
  readonly subject: {
    /** DER certificates from key-info / cert-chain, leaf first, when the message carried them. */
    readonly chain?: readonly Buffer[];
    /** DN asserted by the caller (only honoured for trusted callers). */
    readonly assertedDn?: Dn;
    /** Issuer of the asserted DN's certificate, when asserted. */
    readonly assertedIssuerDn?: Dn;
    readonly assertedVos?: readonly string[];
    readonly assertedFqans?: readonly Fqan[];
    readonly assertedPrimaryFqan?: Fqan;
    /** Who the caller says verified the FQANs (VOMS server DN); absent when it said "not verified". */
    readonly assertedFqanIssuer?: string;
    /** Every CA DN the caller names for the subject's chain (gLite/EMI subject-issuer is multi-valued). */
    readonly assertedIssuerDns?: readonly Dn[];
    /**
     * Access-subject attributes as sent, by protocol attribute id (trimmed, deduplicated): what policy may read
     * beyond the identity (x509-authn-profile, oidc-*), believed only from callers trusted to assert them.
     */
    readonly attributes?: Readonly<Record<string, readonly string[]>>;
    /** A bearer token (compact JWS) carried as the subject's credential (docs/tokens.md). */
    readonly token?: string;
  };
  readonly resource?: string;
  readonly action?: string;
  /** Resource host name (authz-interop dns-host-name), when the dialect carries it. */
  readonly host?: string;
  /** Resource host certificate DN (authz-interop resource-x509-id, EMI resource-owner). */
  readonly hostDn?: Dn;
  /**
   * The host on whose behalf the caller asks, as the message named it with the protocol's escapes undone (PRIMA's
   * Resource, prima-saml1.md §1.1, §11). When set, the caller must be that host or be granted it by the site's host
   * rules; the caller stage checks (docs/callers.md).
   */
  readonly onBehalfOfHost?: string;
  /**
   * The protocol's clients switch identity with the answer (glexec, a CE): under the compatibility default (a policy
   * set that names no account-mapping obligation) a Permit is then mapped. Set by the codec; the core never names a
   * dialect.
   */
  readonly accountExpected?: boolean;
  /** The resource-id is the service's endpoint URL and names the host asked about (grid-ce, EMI); set by the codec. */
  readonly resourceNamesHost?: boolean;
  /**
   * Resource attributes the message carried for policy, by the policy language's short names (EMI resource-owner,
   * policy-language.md §12.8); set by the codec, read by policy as sent.
   */
  readonly resourceAttributes?: Readonly<Record<string, readonly string[]>>;
  /** Obligation ids the caller says it can enforce (authz-interop pep-oblig-supported). */
  readonly obligationsSupported: readonly string[];
  readonly pilotJob?: PilotJob;
  /** Environment attributes by id, verbatim (trimmed), kept for the record. */
  readonly environment: Readonly<Record<string, readonly string[]>>;
  /** Non-empty: the decision must be Indeterminate with the first defect's kind as status. */
  readonly defects: readonly RequestDefect[];
}

/** Protocol-neutral question: may this subject do this action on this resource, and as whom? */
export interface AuthzRequest extends AuthzQuery {
  readonly caller: Caller;
}

/** The outcome of a decision, before a codec renders it in the caller's dialect. */
export interface AuthzResult {
  readonly decisionId: string;
  readonly decision: DecisionValue;
  /** XACML status code URI suffix (ok, missing-attribute, syntax-error, processing-error). */
  readonly status: 'ok' | 'missing-attribute' | 'syntax-error' | 'processing-error';
  readonly statusMessage?: string;
  readonly account?: Account;
  /**
   * The obligations of the matched policy rule (or the compatibility default's account obligation), in policy
   * order, empty when there are none; an account-mapping obligation among them was fulfilled when `account` is set.
   * Codecs render them by id and drop what the enforcement point did not say it supports.
   */
  readonly obligations: readonly Obligation[];
  /** Why: ban id, policy rule, mapping rule, error codes. */
  readonly reasons: readonly string[];
}
