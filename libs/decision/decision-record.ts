import type { DecisionValue, Dialect } from '@gridauthz/domain';

/** One row of decision_record: everything needed later to answer "who ran as uid X on host Y at time T". */
export interface DecisionRecord {
  readonly id: string;
  readonly decidedAt: Date;
  readonly callerDn: string;
  /** Structural key of the caller DN (Dn.canonicalKey), for matching by certificate DN. */
  readonly callerDnKey?: string;
  readonly callerSerial?: string;
  readonly callerIssuer?: string;
  /** Host name in the caller's own certificate (CN=host/wn01.example.org → wn01.example.org), lower case. */
  readonly callerHost?: string;
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  /** The host the client names (any dialect's attribute), lower case; see requestHost in decide.ts. */
  readonly host?: string;
  /** The host certificate DN the client names (resource-x509-id, EMI resource-owner, PRIMA Resource). */
  readonly hostDn?: string;
  readonly hostDnKey?: string;
  /** The message's own issuer (an Argus PEPd's entity id, a host DN): the PEP's identity as it states it. */
  readonly pepIssuer?: string;
  readonly subjectDn?: string;
  /** Dn.canonicalKey() of the subject DN, for structural search. */
  readonly subjectDnKey?: string;
  readonly fqans: readonly string[];
  /** The subject's token identity (issuer, subject), when its credential was a bearer token (docs/mapping-tokens.md). */
  readonly tokenIssuer?: string;
  readonly tokenSubject?: string;
  readonly resource?: string;
  readonly action?: string;
  readonly dialect: Dialect;
  readonly decision: DecisionValue;
  readonly status: string;
  readonly username?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly gids: readonly number[];
  /** Why, in order: ban:<id>, policy:<id>#<rule>, mapping:<rule>, error codes with details. */
  readonly reasons: readonly string[];
  /** Environment and pilot-job attributes as received, plus the message's request id. */
  readonly environment: Readonly<Record<string, readonly string[]>>;
  readonly latencyMs: number;
}
