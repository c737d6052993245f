import { Dn, ErrorCodes, ok } from '@gridauthz/domain';
import type { PayloadCaller, PilotRole } from '../pilot/pilot-role';
import { expandPools, type ExpandedPool, type PoolAccount, type PoolDefinition, type UnixGroup } from '../pool/pool';
import { failWithProblems, type Checked, type Problem } from '../problem';
import type { MappingRule, MappingSettings } from '../rule/mapping-rule';
import { compilePattern, type CompiledPattern, type FqanMatcher } from '../rule/subject-matcher';

/** Everything the mapping rules need, as the site stores it (MappingConfigStore). */
export interface MappingConfig {
  readonly pools: readonly PoolDefinition[];
  readonly groups: readonly UnixGroup[];
  readonly rules: readonly MappingRule[];
  readonly pilotRoles: readonly PilotRole[];
  readonly payloadCallers: readonly PayloadCaller[];
}

export type CompiledRule = MappingRule & CompiledPattern;

/** A validated configuration with indexes and compiled patterns; evaluation over it cannot meet bad data. */
export interface CompiledMappingConfig {
  readonly settings: MappingSettings;
  readonly pools: ReadonlyMap<string, ExpandedPool>;
  readonly accounts: ReadonlyMap<string, PoolAccount>;
  readonly groupsByName: ReadonlyMap<string, UnixGroup>;
  readonly groupsByGid: ReadonlyMap<number, UnixGroup>;
  readonly rules: readonly CompiledRule[];
  readonly pilotRoles: readonly (PilotRole & { readonly matches: FqanMatcher })[];
  readonly payloadCallers: readonly (PayloadCaller & { readonly parsedDn: Dn })[];
  /** Legal but risky configuration, for the operator's log. */
  readonly warnings: readonly Problem[];
}

/** Validates and compiles a configuration; returns every problem found, each naming the rule, pool or role. */
export function compileMappingConfig(config: MappingConfig, settings: MappingSettings): Checked<CompiledMappingConfig, 'MAPPING_CONFIG_INVALID'> {
  const problems: Problem[] = [];
  const expanded = expandPools(config.pools, config.groups);
  if (!expanded.ok) problems.push(...expanded.error.problems);
  const pools = new Map((expanded.ok ? expanded.value : []).map((p) => [p.id, p]));
  const accounts = new Map<string, PoolAccount>();
  for (const p of pools.values()) for (const a of p.accounts) accounts.set(a.username, a);
  const groupsByName = new Map(config.groups.map((g) => [g.name, g]));
  const groupsByGid = new Map(config.groups.map((g) => [g.gid, g]));

  const rules: CompiledRule[] = [];
  const ruleIds = new Set<string>();
  for (const rule of config.rules) {
    const where = `rule ${rule.id}`;
    if (ruleIds.has(rule.id)) problems.push({ message: `${where}: duplicate rule id` });
    ruleIds.add(rule.id);
    if (rule.account === undefined && (rule.groups ?? []).length === 0) problems.push({ message: `${where}: maps to neither an account nor groups` });
    if (rule.account?.kind === 'pool') {
      const pool = pools.get(rule.account.poolId);
      if (!pool && expanded.ok) problems.push({ message: `${where}: unknown pool ${rule.account.poolId}` });
      if (pool?.kind === 'static') problems.push({ message: `${where}: pool ${pool.id} is static and cannot be leased from` });
    }
    if (rule.account?.kind === 'static' && !accounts.has(rule.account.username) && expanded.ok) {
      problems.push({ message: `${where}: unknown account ${rule.account.username}` });
    }
    for (const g of rule.groups ?? []) if (!groupsByName.has(g)) problems.push({ message: `${where}: unknown group ${g}` });
    const compiled = compilePattern(rule.subject, settings);
    if (typeof compiled === 'string') problems.push({ message: `${where}: ${compiled}` });
    else rules.push({ id: rule.id, subject: rule.subject, account: rule.account, groups: rule.groups, kind: compiled.kind, matches: compiled.matches } as CompiledRule);
  }

  // A static target inside a pool that rules also lease from can be leased to someone else while in use. The
  // legacy fixtures do this (mapping.md §8 W10), so compiling only warns; an admin change that introduces one is
  // refused unless forced (reviewMappingChange below).
  const warnings: Problem[] = [];
  const leasedPools = new Set(config.rules.flatMap((r) => (r.account?.kind === 'pool' ? [r.account.poolId] : [])));
  for (const rule of config.rules) {
    if (rule.account?.kind !== 'static') continue;
    const poolId = accounts.get(rule.account.username)?.poolId;
    if (poolId !== undefined && leasedPools.has(poolId)) {
      warnings.push({
        code: ErrorCodes.MAPPING_STATIC_ON_LEASED_POOL,
        message: `rule ${rule.id}: account ${rule.account.username} is also leased from pool ${poolId}`,
      });
    }
  }

  const pilotRoles: (PilotRole & { matches: FqanMatcher })[] = [];
  for (const role of config.pilotRoles) {
    const pool = pools.get(role.poolId);
    if (!pool && expanded.ok) problems.push({ message: `pilot role ${role.id}: unknown pool ${role.poolId}` });
    if (pool && pool.kind !== 'pilot') problems.push({ message: `pilot role ${role.id}: pool ${pool.id} is not a pilot pool` });
    const compiled = compilePattern({ kind: 'fqan', pattern: role.fqanPattern }, settings);
    if (typeof compiled === 'string') problems.push({ message: `pilot role ${role.id}: ${compiled}` });
    else if (compiled.kind === 'fqan') pilotRoles.push({ id: role.id, fqanPattern: role.fqanPattern, poolId: role.poolId, matches: compiled.matches });
  }

  const payloadCallers: (PayloadCaller & { parsedDn: Dn })[] = [];
  for (const caller of config.payloadCallers) {
    try {
      payloadCallers.push({ id: caller.id, kind: caller.kind, dn: caller.dn, parsedDn: Dn.parse(caller.dn) });
    } catch (e) {
      problems.push({ message: `payload caller ${caller.id}: ${(e as Error).message}` });
    }
  }

  if (problems.length > 0) return failWithProblems('MAPPING_CONFIG_INVALID', problems);
  return ok({ settings, pools, accounts, groupsByName, groupsByGid, rules, pilotRoles, payloadCallers, warnings });
}

/** What an admin change to the mapping configuration would bring: every warning, and those that refuse it. */
export interface MappingChangeReview {
  /** Every warning of the configuration after the change (shown to the operator: CLI, API answer, log). */
  readonly warnings: readonly Problem[];
  /** Warnings the change introduces that refuse it unless forced: a static mapping onto a leased pool's account. */
  readonly refusals: readonly Problem[];
}

/**
 * Reviews a change of the mapping configuration. A static mapping onto an account of a pool that rules also lease
 * from lets two people share one uid; a change that introduces one is refused unless `force` (one already stored,
 * e.g. from legacy files, does not block unrelated changes, but is still listed among the warnings).
 */
export function reviewMappingChange(before: MappingConfig, after: MappingConfig, settings: MappingSettings, force: boolean): MappingChangeReview {
  const warningsOf = (config: MappingConfig): readonly Problem[] => {
    const compiled = compileMappingConfig(config, settings);
    return compiled.ok ? compiled.value.warnings : [];
  };
  const old = new Set(warningsOf(before).map((w) => w.message));
  const warnings = warningsOf(after);
  const refusals = force ? [] : warnings.filter((w) => w.code === ErrorCodes.MAPPING_STATIC_ON_LEASED_POOL && !old.has(w.message));
  return { warnings, refusals };
}
