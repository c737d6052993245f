/**
 * The transport's deadline for one request (docs/operations.md, "Overload and limits"). When it passes, the transport
 * answers Indeterminate at once; the pipeline, still running, must then take no lease and record what was answered.
 */
export interface DecisionDeadline {
  /** True once the answer has gone without this decision. */
  readonly expired: boolean;
  /** Tells the transport which decision id it answers for, should the deadline pass. */
  started(decisionId: string): void;
  /**
   * Called right before a lease and its record are committed: false when the deadline has passed (roll back);
   * true makes the transport wait for this commit, which the database's statement timeout bounds, instead of
   * answering Indeterminate for a lease that is being taken.
   */
  enterCommit(): boolean;
}

/** Thrown inside the lease transaction to roll it back when the deadline passed before the commit. */
export class DeadlineExceeded extends Error {
  constructor() {
    super('the request deadline passed before the lease was committed');
  }
}

/** Reason recorded for a decision cut off by the request deadline. */
export const DEADLINE_REASON = 'OVERLOAD_DEADLINE_EXCEEDED';
export const DEADLINE_MESSAGE = 'the request deadline passed before a decision was reached; try again';
