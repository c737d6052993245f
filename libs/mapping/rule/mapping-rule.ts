import type { LeaseKeyConvention } from '../lease/lease-name';

/**
 * What a rule matches: the subject DN or one of the subject's FQANs, by a pattern in the site's syntax; or a token
 * identity (`token`: `issuer` + the exact `sub` in `pattern`), every token of one issuer (`issuer`: the exact `iss`
 * in `pattern`, like an HTCondor-CE `SCITOKENS /^iss,/` line) or a token group (`token-group`: `issuer` + the exact
 * wlcg.groups entry in `pattern`), docs/mapping-tokens.md. Token patterns are exact strings under every syntax: a
 * subject is unique only within its issuer, so the issuer is always part of the key.
 */
export interface SubjectPattern {
  readonly kind: SubjectPatternKind;
  readonly pattern: string;
  /** The token issuer (exact `iss`), for `token` and `token-group` only. */
  readonly issuer?: string;
}

export type SubjectPatternKind = 'dn' | 'fqan' | 'token' | 'issuer' | 'token-group';
export const SUBJECT_PATTERN_KINDS: readonly SubjectPatternKind[] = ['dn', 'fqan', 'token', 'issuer', 'token-group'];

export type AccountTarget = { readonly kind: 'pool'; readonly poolId: string } | { readonly kind: 'static'; readonly username: string };

/**
 * One line of the site's mapping table (ARCHITECTURE "Data": mapping_rule). Rules are evaluated in list order.
 * A rule with `account` takes part in choosing the account (a grid-mapfile line), a rule with `groups` in choosing
 * groups (a groupmapfile line); one rule may do both. Filtering one ordered list by purpose gives the same
 * first-match results as two separate files.
 */
export interface MappingRule {
  readonly id: string;
  readonly subject: SubjectPattern;
  readonly account?: AccountTarget;
  /** Group names; LCMAPS-style selection uses only the first, Argus-style all of them (mapping.md §3.4, §3.5). */
  readonly groups?: readonly string[];
}

/**
 * Site settings for rule evaluation. Each knob is a documented behaviour of a legacy system, so a site can keep
 * the decisions (and gridmapdir leases) it had.
 */
export interface MappingSettings {
  /**
   * Pattern semantics. `argus`: DN keys compare as canonical DNs (case-insensitive, no wildcards), FQAN keys as
   * parsed patterns (§3.6). `lcmaps`: fnmatch globs on the raw strings, byte-exact and case-sensitive (§3.1).
   */
  readonly patternSyntax: 'argus' | 'lcmaps';
  /** `lcmaps` only: `-no_wildcard` turns globs into literal keys. */
  readonly wildcards: boolean;
  /**
   * How rules combine. `argus` (§3.5): account from the first DN rule or the first rule matching the primary FQAN;
   * groups from every matching rule. `lcmaps` (§3.4, YAIM lcmaps.db): a static target for any FQAN beats a pool
   * target for any FQAN; groups from the first matching rule per FQAN; a DN-chosen account brings its own gid.
   */
  readonly selection: 'argus' | 'lcmaps';
  /** Whether a DN rule or an FQAN rule decides the account when both match (Argus preferDNForLoginName). */
  readonly accountPrecedence: 'dn' | 'fqan';
  /** `argus` selection: whether DN groups come before FQAN groups (Argus preferDNForPrimaryGroupName). */
  readonly groupPrecedence: 'dn' | 'fqan';
  /** Subject-key convention for pool leases (§2.3.2). */
  readonly leaseKey: LeaseKeyConvention;
  /** Argus noPrimaryGroupNameIsError. */
  readonly noPrimaryGroupIsError: boolean;
  /**
   * The subject key already holds an account in another pool (its rule was edited, mapping.md §2.5). `fail` as
   * LCMAPS by default and Argus always; `move` as LCMAPS `-override_inconsistency` (release the old lease, lease
   * anew); `allow` keeps both, which a gridmapdir cannot represent.
   */
  readonly leaseInOtherPool: 'fail' | 'move' | 'allow';
}

/** Argus PEPd defaults (§3.5), the default of the service (§3.7). */
export const ARGUS_SETTINGS: MappingSettings = {
  patternSyntax: 'argus',
  wildcards: true,
  selection: 'argus',
  accountPrecedence: 'dn',
  groupPrecedence: 'dn',
  leaseKey: 'argus-all',
  noPrimaryGroupIsError: false,
  leaseInOtherPool: 'fail',
};

/** LCMAPS with the YAIM `withvoms` then `standard` policies (§3.4): the VOMS policy is tried first. */
export const LCMAPS_SETTINGS: MappingSettings = {
  patternSyntax: 'lcmaps',
  wildcards: true,
  selection: 'lcmaps',
  accountPrecedence: 'fqan',
  groupPrecedence: 'dn',
  leaseKey: 'lcmaps-all',
  noPrimaryGroupIsError: false,
  leaseInOtherPool: 'fail',
};

export const DEFAULT_MAPPING_SETTINGS = ARGUS_SETTINGS;
