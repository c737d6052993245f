import type { AuthzResult, DecisionValue } from '@gridauthz/domain';

export type Status = AuthzResult['status'];

/** Where a decision ended: what the client is answered and the record says (reasons are kept in the Trail). */
export interface Outcome {
  readonly decision: DecisionValue;
  readonly status: Status;
  readonly statusMessage?: string;
  readonly account?: AuthzResult['account'];
}

/** What a stage hands on: its value for the next stage, or the outcome that ends the decision here. */
export type Step<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly outcome: Outcome };

export const next = <T>(value: T): Step<T> => ({ ok: true, value });
export const stop = (outcome: Outcome): { readonly ok: false; readonly outcome: Outcome } => ({ ok: false, outcome });

/**
 * The reasons of one decision, in the order the stages gave them (the record's and the result's `reasons`; tests
 * and forensics read them). A refusal adds its code and returns the outcome that ends the decision.
 */
export class Trail {
  readonly reasons: string[] = [];

  note(reason: string): void {
    this.reasons.push(reason);
  }

  /** Takes back the last reason (a warm-path hint that turned out stale). */
  retract(): void {
    this.reasons.pop();
  }

  deny(reason: string, message?: string): { readonly ok: false; readonly outcome: Outcome } {
    this.reasons.push(reason);
    return stop({ decision: 'Deny', status: 'ok', statusMessage: message });
  }

  indeterminate(status: Exclude<Status, 'ok'>, reason: string, message: string): { readonly ok: false; readonly outcome: Outcome } {
    this.reasons.push(reason);
    return stop({ decision: 'Indeterminate', status, statusMessage: message });
  }
}
