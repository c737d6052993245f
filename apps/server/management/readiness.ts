/** One thing the service needs before it can decide (database, trust store, policy). */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

export const READINESS_CHECKS = Symbol('ReadinessChecks');
