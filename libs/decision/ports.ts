import type { Dn, Fqan, LogSink, Result, Subject } from '@gridauthz/domain';
import type { Ban, CallerAuthority, CompiledMappingConfig, LeaseStore, PoolAccount } from '@gridauthz/mapping';
import type { PolicySet } from '@gridauthz/policy';
import type { DecisionRecord } from './decision-record';

/** The subject as verified from its own certificate chain (and VOMS ACs), never as asserted. */
export interface VerifiedSubject {
  readonly dn: Dn;
  /** Issuer of the end-entity certificate (the CA), for CA bans and subject-issuer policy. */
  readonly issuerDn?: Dn;
  /** Every CA DN on the path, for the SPL subject-issuer attribute. */
  readonly issuerDns: readonly Dn[];
  readonly fqans: readonly Fqan[];
  readonly primaryFqan?: Fqan;
  readonly vos: readonly string[];
  readonly limited: boolean;
  /** ACs that failed verification and were dropped, e.g. "CRED_AC_EXPIRED: …" (the proxy still identifies the user). */
  readonly droppedAttributes: readonly string[];
}

/** Port onto the credential validator: a DER chain, leaf first, to a verified subject or a CRED_* refusal. */
export interface SubjectVerifier {
  verify(chain: readonly Buffer[], now: Date): Result<VerifiedSubject, string>;
}

/**
 * Port onto the token validator (COMMON seam; tokens lane adapter apps/server/site/token-verifier.ts): a compact
 * JWS to the token subject or a CRED_TOKEN_* refusal. Key look-ups may need the network, so the answer may be a
 * promise; the pipeline awaits it.
 * TOKENS-LANE MINIMAL: the stages lane owns this file's final form; the lead merges its version.
 */
export interface TokenVerifier {
  verify(token: string, now: Date): Result<Subject, string> | Promise<Result<Subject, string>>;
}

/** What one transaction may do: take or refresh a lease, and write the decision record. */
export interface DecisionTransaction {
  readonly leases: LeaseStore;
  record(record: DecisionRecord): Promise<void>;
}

/** A lease the pipeline saw live recently, to be confirmed by `recordOnLiveLease`. */
export interface HeldLease {
  readonly poolId: string;
  readonly subjectKey: string;
  /** The account as stored; a changed uid or gid counts as a different account. */
  readonly account: PoolAccount;
  /** The key may hold no live lease in another pool (leaseInOtherPool is not "allow"). */
  readonly exclusiveKey: boolean;
}

/**
 * Storage of the decision pipeline. A decision that maps a pool account runs in `transaction`: the lease and
 * the record commit together or not at all, so no lease exists without its record and no Permit leaves the
 * service without one.
 */
export interface DecisionStorage {
  transaction<T>(work: (tx: DecisionTransaction) => Promise<T>): Promise<T>;
  /** Writes the record of a decision that touched no lease. Resolves once it is durable. */
  record(record: DecisionRecord): Promise<void>;
  /**
   * The warm Permit path: writes `record` only if `lease` is live with exactly that account (and, if exclusive,
   * the key holds nothing in another pool), checked and written atomically with the lease locked against release
   * until the record commits. Resolves false, writing nothing, when the lease is not as given; the pipeline then
   * takes the transaction path.
   */
  recordOnLiveLease(lease: HeldLease, record: DecisionRecord): Promise<boolean>;
}

/** The site configuration the pipeline reads on every decision; each getter returns the current snapshot. */
export interface DecisionConfiguration {
  policy(): PolicySet | undefined;
  mapping(): CompiledMappingConfig | undefined;
  /** Active bans, at most one poll interval old. */
  bans(): readonly Ban[];
  /** Who may ask what: pilots, trusted asserters (docs/callers.md). The pipeline asks it for every question. */
  callers(): CallerAuthority;
}

export interface DecisionDependencies {
  readonly verifier: SubjectVerifier;
  /** Absent: tokens are refused with CRED_TOKEN_NOT_ACCEPTED. */
  readonly tokenVerifier?: TokenVerifier;
  readonly configuration: DecisionConfiguration;
  readonly storage: DecisionStorage;
  readonly newId: () => string;
  /** Monotonic milliseconds, for the recorded latency. */
  readonly monotonicMs: () => number;
  readonly log: LogSink;
  /**
   * How long a lease this process touched may be confirmed without touching it again (ms; default 60 s). Its
   * last-use time, which drives idle expiry (days), is then at most this old; 0 touches on every decision.
   */
  readonly leaseTouchIntervalMs?: number;
  /**
   * What a banned subject's client is told. The ban's reason is an officer's note (an incident number, CSIRT
   * remarks) and stays in the record (reason ban:<id>); the client gets `clientMessage` unless `exposeReason`.
   */
  readonly banAnswer?: { readonly clientMessage: string; readonly exposeReason: boolean };
}
