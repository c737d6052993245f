import { fail, ok, type Dn, type Fqan, type Result, type TokenIdentity } from '@gridauthz/domain';
import type { CompiledMappingConfig, CompiledRule } from '../config/mapping-config';
import { buildSubjectKey, buildTokenSubjectKey } from '../lease/lease-name';
import type { UnixGroup } from '../pool/pool';
import type { AccountTarget } from './mapping-rule';

/**
 * Who is being mapped: the end-entity DN and the VOMS FQANs in credential order (the first is the primary); or a
 * token identity with its wlcg.groups (the first is the primary, like a primary FQAN). A token identity linked to
 * a DN (docs/mapping-tokens.md) carries both and maps as the DN does. DN and FQAN rules match nothing without a
 * DN or FQANs; token rules match nothing without a token. The lease key is the DN's when there is one.
 */
export interface MappingSubject {
  readonly dn?: Dn;
  readonly fqans: readonly Fqan[];
  readonly token?: TokenIdentity;
  /** Token groups (wlcg.groups) in the token's order. */
  readonly groups?: readonly string[];
}

/** One VOMS FQAN or one token group: the attributes that choose pools and groups, the first being the primary. */
interface Attribute {
  readonly text: string;
  readonly matches: (rule: CompiledRule) => boolean;
}

/** FQANs when the subject has them, otherwise its token's groups (a token carries no FQANs). */
function attributesOf(subject: MappingSubject): Attribute[] {
  if (subject.fqans.length > 0) return subject.fqans.map((f) => ({ text: f.toLong(), matches: (r: CompiledRule) => matchesFqan(r, f) }));
  const token = subject.token;
  if (!token) return [];
  return [...new Set(subject.groups ?? [])].map((g) => ({ text: g, matches: (r: CompiledRule) => r.kind === 'token-group' && r.matches(token.issuer, g) }));
}

/** Whether a rule names the subject itself: its DN, or its token identity (issuer, subject). */
function matchesIdentity(rule: CompiledRule, subject: MappingSubject): boolean {
  if (rule.kind === 'dn') return subject.dn !== undefined && rule.matches(subject.dn);
  // An issuer rule names every token of its issuer; rule order puts exact (issuer, subject) rules before it.
  if (rule.kind === 'token' || rule.kind === 'issuer') return subject.token !== undefined && rule.matches(subject.token);
  return false;
}

function describeIdentity(subject: MappingSubject): string {
  const parts: string[] = [];
  if (subject.dn) parts.push(subject.dn.toSlash());
  if (subject.token) parts.push(`token (${subject.token.issuer}, ${subject.token.subject})`);
  return parts.join(' linked to ');
}

export type PlanTarget =
  | { readonly kind: 'pool'; readonly poolId: string; readonly subjectKey: string }
  | { readonly kind: 'static'; readonly username: string };

/** The pure outcome of rule evaluation: what to lease or use, and which groups to give. No I/O happened. */
export interface MappingPlan {
  readonly target: PlanTarget;
  /** The rule that chose the account; the decision's reason. */
  readonly ruleId: string;
  /** Rules that contributed groups, in evaluation order. */
  readonly groupRuleIds: readonly string[];
  /** Absent: use the account's own primary gid (no rule gave a group). */
  readonly primaryGroup?: UnixGroup;
  /** LCMAPS selection: sorted by gid, unique. Argus selection: rule order, duplicates kept (they shape the lease key). */
  readonly secondaryGroups: readonly UnixGroup[];
  /** LCMAPS's DN-only pool/local account plugins add the account's passwd gid as a secondary too (§3.4). */
  readonly accountGidAsSecondary: boolean;
}

export type PlanError = 'MAPPING_NO_MATCH' | 'MAPPING_NO_PRIMARY_GROUP';

/** Evaluates the site's rules for one subject under the configured conventions (mapping.md §3.4–§3.7). */
export function planMapping(config: CompiledMappingConfig, subject: MappingSubject): Result<MappingPlan, PlanError> {
  return config.settings.selection === 'argus' ? planArgus(config, subject) : planLcmaps(config, subject);
}

function matchesFqan(rule: CompiledRule, fqan: Fqan): boolean {
  return rule.kind === 'fqan' && rule.matches(fqan);
}

type AccountRule = CompiledRule & { readonly account: AccountTarget };

function hasAccount(rule: CompiledRule): rule is AccountRule {
  return rule.account !== undefined;
}

function target(config: CompiledMappingConfig, rule: AccountRule, subject: MappingSubject, primary: UnixGroup | undefined, secondary: readonly UnixGroup[], dnOnlyKey: boolean): PlanTarget {
  const account = rule.account;
  if (account.kind === 'static') return account;
  const convention = dnOnlyKey ? 'dn-only' : config.settings.leaseKey;
  const groups = primary ? { primary, secondary } : { secondary };
  // The DN's key whenever there is a DN: a token identity linked to a DN shares the DN's lease.
  const subjectKey = subject.dn ? buildSubjectKey(subject.dn, groups, convention) : buildTokenSubjectKey(subject.token as TokenIdentity, groups, convention);
  return { kind: 'pool', poolId: account.poolId, subjectKey };
}

/** Insertion-ordered set of group names that remembers which rules contributed. */
class GroupCollector {
  readonly names: string[] = [];
  readonly ruleIds: string[] = [];
  add(rule: CompiledRule): void {
    this.ruleIds.push(rule.id);
    for (const g of rule.groups ?? []) if (!this.names.includes(g)) this.names.push(g);
  }
}

/** Argus grid-map POSIX obligation handler (§3.5). */
function planArgus(config: CompiledMappingConfig, subject: MappingSubject): Result<MappingPlan, PlanError> {
  const { settings } = config;
  const attributes = attributesOf(subject);
  const primaryFqan = subject.fqans[0];
  const primaryAttr = attributes[0];
  const others = primaryFqan ? subject.fqans.slice(1).filter((f) => !f.equals(primaryFqan)).map((f) => (r: CompiledRule) => matchesFqan(r, f)) : attributes.slice(1).map((a) => a.matches);
  const accountRules = config.rules.filter(hasAccount);
  const dnRule = accountRules.find((r) => matchesIdentity(r, subject));
  const fqanRule = primaryAttr ? accountRules.find((r) => primaryAttr.matches(r)) : undefined;
  const chosen = settings.accountPrecedence === 'dn' ? (dnRule ?? fqanRule) : (fqanRule ?? dnRule);
  if (!chosen) return fail('MAPPING_NO_MATCH', `no account rule matches ${describeIdentity(subject)}${primaryAttr ? ` or ${primaryAttr.text}` : ''}`);

  const groupRules = config.rules.filter((r) => (r.groups ?? []).length > 0);
  const dnGroups = new GroupCollector();
  const primaryGroups = new GroupCollector();
  const secondaryGroups = new GroupCollector();
  for (const r of groupRules) {
    if (matchesIdentity(r, subject)) dnGroups.add(r);
    if (primaryAttr?.matches(r)) primaryGroups.add(r);
    // Secondary groups follow the rule order, not the FQAN order (§3.5).
    if (others.some((m) => m(r))) secondaryGroups.add(r);
  }
  const dnFirst = settings.groupPrecedence === 'dn';
  // The three sets are concatenated with duplicates across them kept, as Argus does; they shape the lease key.
  const names = dnFirst ? [...dnGroups.names, ...primaryGroups.names, ...secondaryGroups.names] : [...primaryGroups.names, ...secondaryGroups.names, ...dnGroups.names];
  const ids = dnFirst
    ? [...dnGroups.ruleIds, ...primaryGroups.ruleIds, ...secondaryGroups.ruleIds]
    : [...primaryGroups.ruleIds, ...secondaryGroups.ruleIds, ...dnGroups.ruleIds];
  const groups = names.map((n) => config.groupsByName.get(n) as UnixGroup);
  const [primary, ...secondary] = groups;
  if (!primary && settings.noPrimaryGroupIsError) return fail('MAPPING_NO_PRIMARY_GROUP', `no group rule matches ${describeIdentity(subject)}`);
  return ok({
    target: target(config, chosen, subject, primary, secondary, false),
    ruleId: chosen.id,
    groupRuleIds: [...new Set(ids)],
    ...(primary ? { primaryGroup: primary } : {}),
    secondaryGroups: secondary,
    accountGidAsSecondary: false,
  });
}

/** LCMAPS with YAIM's withvoms/standard policies (§3.4); accountPrecedence 'fqan' tries withvoms first. */
function planLcmaps(config: CompiledMappingConfig, subject: MappingSubject): Result<MappingPlan, PlanError> {
  const accountRules = config.rules.filter(hasAccount);
  const groupRules = config.rules.filter((r) => (r.groups ?? []).length > 0);

  // Token groups take the place of FQANs for a token subject (docs/mapping-tokens.md).
  const attributes = attributesOf(subject);
  const voms = (): Result<MappingPlan, PlanError> => {
    if (attributes.length === 0) return fail('MAPPING_NO_MATCH', subject.token ? 'no FQANs or token groups' : 'no FQANs');
    // vomslocalgroup: first matching line per FQAN, first target; the first FQAN's group is the primary.
    const perFqan = attributes.map((a) => groupRules.find((r) => a.matches(r)));
    const groupOf = (r: CompiledRule | undefined): UnixGroup | undefined => (r ? config.groupsByName.get(r.groups?.[0] ?? '') : undefined);
    const primary = groupOf(perFqan[0]);
    const seen = new Set<number>();
    // The LCMAPS credential store keeps secondary gids sorted and unique.
    const secondary = perFqan
      .slice(1)
      .map(groupOf)
      .filter((g): g is UnixGroup => g !== undefined)
      .sort((a, b) => a.gid - b.gid)
      .filter((g) => (seen.has(g.gid) ? false : (seen.add(g.gid), true)));
    // vomslocalaccount scans every FQAN for a static target before vomspoolaccount scans them for a pool.
    const firstLine = attributes.map((a) => accountRules.find((r) => a.matches(r)));
    const chosen = firstLine.find((r) => r?.account?.kind === 'static') ?? firstLine.find((r) => r?.account?.kind === 'pool');
    if (!chosen) return fail('MAPPING_NO_MATCH', 'no account rule matches any FQAN');
    // With -use_voms_gid the account brings no gid, so without a primary FQAN group the policy fails.
    if (!primary) return fail('MAPPING_NO_PRIMARY_GROUP', `no group rule matches the primary ${subject.fqans.length > 0 ? 'FQAN' : 'token group'} ${attributes[0]?.text ?? ''}`);
    const groupRuleIds = perFqan.filter((r): r is CompiledRule => r !== undefined).map((r) => r.id);
    return ok({
      target: target(config, chosen, subject, primary, secondary, false),
      ruleId: chosen.id,
      groupRuleIds: [...new Set(groupRuleIds)],
      primaryGroup: primary,
      secondaryGroups: secondary,
      accountGidAsSecondary: false,
    });
  };

  const dn = (): Result<MappingPlan, PlanError> => {
    const chosen = accountRules.find((r) => matchesIdentity(r, subject));
    if (!chosen) return fail('MAPPING_NO_MATCH', `no account rule matches ${describeIdentity(subject)}`);
    // lcmaps_poolaccount keys leases by DN alone and takes gids from the account (§2.3.2, §3.4).
    return ok({
      target: target(config, chosen, subject, undefined, [], true),
      ruleId: chosen.id,
      groupRuleIds: [],
      secondaryGroups: [],
      accountGidAsSecondary: true,
    });
  };

  const [first, second] = config.settings.accountPrecedence === 'fqan' ? [voms, dn] : [dn, voms];
  const a = first();
  if (a.ok) return a;
  const b = second();
  if (b.ok) return b;
  return fail(a.error.code === 'MAPPING_NO_PRIMARY_GROUP' ? a.error.code : b.error.code, `${a.error.detail}; ${b.error.detail}`);
}
