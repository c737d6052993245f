import type { Caller, Failure } from '@gridauthz/domain';

/** An authenticated TLS caller, as the PDP and admin routes see it. */
export interface AuthenticatedCaller extends Caller {
  readonly limited: boolean;
  /** Earliest notAfter along the chain. */
  readonly notAfter: Date;
  readonly chainLength: number;
}

/** Port: turns the client's DER chain (leaf first) into a caller or a typed refusal. */
export interface CallerAuthenticator {
  authenticate(chainDer: readonly Buffer[], now: Date): { ok: true; value: AuthenticatedCaller } | { ok: false; error: Failure<string> };
}

export const CALLER_AUTHENTICATOR = Symbol('CallerAuthenticator');
export const CLOCK = Symbol('Clock');
export type Clock = () => Date;
