import type { ErrorCode } from '@gridauthz/domain';

/** The bearer-token refusal codes (tokens.md §4). */
export type TokenErrorCode = Extract<ErrorCode, `CRED_TOKEN_${string}`>;

/** A refused token: a stable code, a one-line detail (never the token itself), and what was known. */
export interface TokenFailure {
  readonly code: TokenErrorCode;
  readonly detail: string;
  /** The issuer named by the token, once known (unverified when the signature was not yet checked). */
  readonly issuer?: string;
  readonly keyId?: string;
}

export type TokenResult = { ok: true; value: TokenIdentity } | { ok: false; error: TokenFailure };

/** Which claim language the token speaks, told by its version claim (tokens.md §2). */
export type TokenProfile = 'wlcg' | 'scitokens';

/** The only signature algorithms a token may use (tokens.md §3). */
export type TokenAlgorithm = 'RS256' | 'ES256';
export const TOKEN_ALGORITHMS: readonly TokenAlgorithm[] = ['RS256', 'ES256'];

/** The audience values by which an issuer says "any relying party" (tokens.md §2.3). */
export const ANY_AUDIENCES: readonly string[] = ['https://wlcg.cern.ch/jwt/v1/any', 'ANY'];

/** What a validated token says about its bearer: the token counterpart of a validated proxy (tokens.md §5). */
export interface TokenIdentity {
  readonly profile: TokenProfile;
  /** The version claim as sent: `wlcg.ver` ("1.0") or `ver` ("scitoken:2.0"). */
  readonly version: string;
  readonly issuer: string;
  /** Unique only within the issuer: identify a bearer by (issuer, subject), never by subject alone. */
  readonly subject: string;
  /** `wlcg.groups` in the token's order; the first is the primary group, like a primary FQAN. */
  readonly groups: readonly string[];
  readonly primaryGroup: string | undefined;
  /** `scope` split at spaces, in the token's order. */
  readonly scopes: readonly string[];
  readonly audience: readonly string[];
  readonly expiresAt: Date;
  readonly issuedAt: Date;
  readonly notBefore: Date | undefined;
  /** `jti`: required by the WLCG profile, optional for SciTokens. */
  readonly tokenId: string | undefined;
  readonly keyId: string;
  readonly algorithm: TokenAlgorithm;
}

/** Bounds on what a token may carry (tokens.md §3.6); a token beyond them is refused, not truncated. */
export interface TokenLimits {
  /** Characters of the compact token. */
  readonly maxTokenLength: number;
  readonly maxGroups: number;
  readonly maxGroupLength: number;
  /** Characters of the `scope` claim. */
  readonly maxScopeLength: number;
  readonly maxAudiences: number;
  /** The WLCG profile caps `sub` at 255 ASCII characters. */
  readonly maxSubjectLength: number;
}

export const DEFAULT_TOKEN_LIMITS: TokenLimits = {
  maxTokenLength: 16_384,
  maxGroups: 128,
  maxGroupLength: 256,
  maxScopeLength: 4_096,
  maxAudiences: 32,
  maxSubjectLength: 255,
};
