import type { DecisionValue, Dialect } from '@gridauthz/domain';

/** One row of decision_record: everything needed later to answer "who ran as uid X on host Y at time T". */
export interface DecisionRecord {
  readonly id: string;
  readonly decidedAt: Date;
  readonly callerDn: string;
  readonly host?: string;
  readonly subjectDn?: string;
  readonly fqans: readonly string[];
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
