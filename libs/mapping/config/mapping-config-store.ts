import { ok } from '@gridauthz/domain';
import type { PayloadCaller, PilotRole } from '../pilot/pilot-role';
import type { PoolDefinition, UnixGroup } from '../pool/pool';
import type { Checked } from '../problem';
import type { MappingRule, MappingSettings } from '../rule/mapping-rule';
import { compileMappingConfig, type MappingConfig } from './mapping-config';

export type ConfigWrite = Checked<{ readonly changed: number }, 'MAPPING_CONFIG_INVALID'>;

/**
 * Pools, groups, ordered rules, pilot roles and payload callers (ARCHITECTURE "Data": pool, pool_account,
 * unix_group, mapping_rule, pilot_role). Every write is validated as a whole with compileMappingConfig before it
 * commits, so the stored configuration always compiles; a rejected write changes nothing. Upserts match by
 * natural key (pool id, group name, role id, caller id) and report how many entries changed, so repeating an
 * import is a no-op.
 */
export interface MappingConfigStore {
  load(): Promise<MappingConfig>;
  upsertPools(pools: readonly PoolDefinition[]): Promise<ConfigWrite>;
  upsertGroups(groups: readonly UnixGroup[]): Promise<ConfigWrite>;
  /** Rules are one ordered list; an import supplies the whole list. */
  replaceRules(rules: readonly MappingRule[]): Promise<ConfigWrite>;
  upsertPilotRoles(roles: readonly PilotRole[]): Promise<ConfigWrite>;
  upsertPayloadCallers(callers: readonly PayloadCaller[]): Promise<ConfigWrite>;
}

export class InMemoryMappingConfigStore implements MappingConfigStore {
  private config: MappingConfig;

  constructor(
    private readonly settings: MappingSettings,
    initial: MappingConfig = { pools: [], groups: [], rules: [], pilotRoles: [], payloadCallers: [] },
  ) {
    this.config = initial;
  }

  async load(): Promise<MappingConfig> {
    return this.config;
  }

  async upsertPools(pools: readonly PoolDefinition[]): Promise<ConfigWrite> {
    return this.write('pools', upsertBy(this.config.pools, pools, (p) => p.id));
  }

  async upsertGroups(groups: readonly UnixGroup[]): Promise<ConfigWrite> {
    return this.write('groups', upsertBy(this.config.groups, groups, (g) => g.name));
  }

  async replaceRules(rules: readonly MappingRule[]): Promise<ConfigWrite> {
    const changed = JSON.stringify(rules) === JSON.stringify(this.config.rules) ? 0 : rules.length;
    return this.write('rules', { next: rules, changed });
  }

  async upsertPilotRoles(roles: readonly PilotRole[]): Promise<ConfigWrite> {
    return this.write('pilotRoles', upsertBy(this.config.pilotRoles, roles, (r) => r.id));
  }

  async upsertPayloadCallers(callers: readonly PayloadCaller[]): Promise<ConfigWrite> {
    return this.write('payloadCallers', upsertBy(this.config.payloadCallers, callers, (c) => c.id));
  }

  private async write<K extends keyof MappingConfig>(key: K, change: { next: MappingConfig[K]; changed: number }): Promise<ConfigWrite> {
    const { pools, groups, rules, pilotRoles, payloadCallers } = this.config;
    const candidate: MappingConfig = { pools, groups, rules, pilotRoles, payloadCallers, [key]: change.next };
    const compiled = compileMappingConfig(candidate, this.settings);
    if (!compiled.ok) return compiled;
    this.config = candidate;
    return ok({ changed: change.changed });
  }
}

function upsertBy<T>(current: readonly T[], incoming: readonly T[], key: (item: T) => string): { next: T[]; changed: number } {
  const next = [...current];
  let changed = 0;
  for (const item of incoming) {
    const i = next.findIndex((x) => key(x) === key(item));
    if (i < 0) {
      next.push(item);
      changed += 1;
    } else if (JSON.stringify(next[i]) !== JSON.stringify(item)) {
      next[i] = item;
      changed += 1;
    }
  }
  return { next, changed };
}
