import type { Dn } from '../name/dn';
import type { Fqan } from '../name/fqan';

/** The protocol dialects gridauthz answers (saml2-xacml2.md §4.4, prima-saml1.md). */
export type Dialect = 'authz-interop' | 'grid-wn' | 'grid-ce' | 'emi' | 'prima';

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
}

/** Protocol-neutral question: may this subject do this action on this resource, and as whom? */
export interface AuthzRequest {
  readonly dialect: Dialect;
  readonly caller: Caller;
  readonly subject: {
    /** DER certificates from key-info / cert-chain, leaf first, when the message carried them. */
    readonly chain?: readonly Buffer[];
    /** DN asserted by the caller (only honoured for trusted callers). */
    readonly assertedDn?: Dn;
    readonly assertedFqans?: readonly Fqan[];
    readonly assertedPrimaryFqan?: Fqan;
  };
  readonly resource?: string;
  readonly action?: string;
  /** Resource host name or DN, when the dialect carries it. */
  readonly host?: string;
  /** Obligation ids the caller says it can enforce (authz-interop pep-oblig-supported). */
  readonly obligationsSupported: readonly string[];
  /** Environment attributes, e.g. pilot-job attributes, kept for the record. */
  readonly environment: Readonly<Record<string, readonly string[]>>;
}

/** The outcome of a decision, before a codec renders it in the caller's dialect. */
export interface AuthzResult {
  readonly decisionId: string;
  readonly decision: DecisionValue;
  /** XACML status code URI suffix (ok, missing-attribute, syntax-error, processing-error). */
  readonly status: 'ok' | 'missing-attribute' | 'syntax-error' | 'processing-error';
  readonly statusMessage?: string;
  readonly account?: Account;
  /** Why: ban id, policy rule, mapping rule, error codes. */
  readonly reasons: readonly string[];
}
