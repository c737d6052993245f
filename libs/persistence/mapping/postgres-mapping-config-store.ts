import type { EntityManager } from 'typeorm';
import { ok } from '@gridauthz/domain';
import {
  compileMappingConfig,
  expandPool,
  type ConfigWrite,
  type MappingConfig,
  type MappingConfigStore,
  type MappingRule,
  type MappingSettings,
  type PayloadCaller,
  type PilotRole,
  type PoolDefinition,
  type PoolKind,
  type Problem,
  type SubjectPatternKind,
  type UnixGroup,
} from '@gridauthz/mapping';
import type { Database } from '../database/database';
import { SqlScope, toInt } from './sql-scope';

type Failure = Extract<ConfigWrite, { ok: false }>;

/**
 * MappingConfigStore over pool, pool_account, unix_group, mapping_rule(_group), pilot_role and payload_caller.
 * Each write runs in one transaction: it takes the configuration writers' advisory lock (so two replicas cannot
 * both validate against the old state), loads the stored configuration, validates the result as a whole with
 * compileMappingConfig and writes only the difference. Triggers bump the 'mapping' generation for the replicas.
 *
 * Pools are stored as their accounts: load() returns every pool as a `list`. An account dropped from a pool's
 * definition is disabled, not deleted (lease history refers to it), and a write that would drop or move an
 * account with a live lease is refused: release the lease first.
 */
export class PostgresMappingConfigStore implements MappingConfigStore {
  private readonly scope: SqlScope;

  constructor(
    target: Database | EntityManager,
    readonly settings: MappingSettings,
  ) {
    this.scope = SqlScope.of(target);
  }

  load(): Promise<MappingConfig> {
    return this.scope.run((m) => loadConfig(m));
  }

  upsertPools(pools: readonly PoolDefinition[]): Promise<ConfigWrite> {
    return this.write(async (m, current) => {
      const { next, changed } = upsertBy(current.pools, pools, (p) => p.id, poolSignature);
      const invalid = this.check(withPart(current, 'pools', next));
      if (invalid) return invalid;
      const leased = await leasedAccountsDropped(m, changed);
      if (leased.length > 0) return invalidWith(leased);
      for (const pool of changed) await writePool(m, pool);
      return ok({ changed: changed.length });
    });
  }

  upsertGroups(groups: readonly UnixGroup[]): Promise<ConfigWrite> {
    return this.write(async (m, current) => {
      const { next, changed } = upsertBy(current.groups, groups, (g) => g.name, (g) => String(g.gid));
      const invalid = this.check(withPart(current, 'groups', next));
      if (invalid) return invalid;
      if (changed.length > 0) {
        await m.query(
          `INSERT INTO unix_group (name, gid) SELECT * FROM unnest($1::text[], $2::int[])
           ON CONFLICT (name) DO UPDATE SET gid = EXCLUDED.gid`,
          [changed.map((g) => g.name), changed.map((g) => g.gid)],
        );
      }
      return ok({ changed: changed.length });
    });
  }

  /** Replaces the ordered list; an identical list writes nothing. Like the in-memory store, counts every rule as changed otherwise. */
  replaceRules(rules: readonly MappingRule[]): Promise<ConfigWrite> {
    return this.write(async (m, current) => {
      if (JSON.stringify(rules.map(normalRule)) === JSON.stringify(current.rules.map(normalRule))) return ok({ changed: 0 });
      const invalid = this.check(withPart(current, 'rules', rules));
      if (invalid) return invalid;
      await m.query(`DELETE FROM mapping_rule`);
      if (rules.length > 0) {
        const ids = await m.query<{ id: string; rule_key: string }[]>(
          `INSERT INTO mapping_rule (rule_key, position, subject_kind, pattern, account_pool_id, account_username, issuer)
           SELECT k, n - 1, s, p, (SELECT id FROM pool WHERE name = pn), u, i
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(k, s, p, pn, u, i, n)
           RETURNING id, rule_key`,
          [
            rules.map((r) => r.id),
            rules.map((r) => r.subject.kind),
            rules.map((r) => r.subject.pattern),
            rules.map((r) => (r.account?.kind === 'pool' ? r.account.poolId : null)),
            rules.map((r) => (r.account?.kind === 'static' ? r.account.username : null)),
            rules.map((r) => r.subject.issuer ?? null),
          ],
        );
        const idOf = new Map(ids.map((r) => [r.rule_key, r.id]));
        const links = rules.flatMap((r) => (r.groups ?? []).map((g, position) => ({ rule: idOf.get(r.id) as string, position, g })));
        if (links.length > 0) {
          await m.query(
            `INSERT INTO mapping_rule_group (mapping_rule_id, position, unix_group_id)
             SELECT r, p, (SELECT id FROM unix_group WHERE name = g) FROM unnest($1::bigint[], $2::int[], $3::text[]) AS x(r, p, g)`,
            [links.map((l) => l.rule), links.map((l) => l.position), links.map((l) => l.g)],
          );
        }
      }
      return ok({ changed: rules.length });
    });
  }

  upsertPilotRoles(roles: readonly PilotRole[]): Promise<ConfigWrite> {
    return this.write(async (m, current) => {
      const { next, changed } = upsertBy(current.pilotRoles, roles, (r) => r.id, (r) => JSON.stringify([r.fqanPattern, r.poolId]));
      const invalid = this.check(withPart(current, 'pilotRoles', next));
      if (invalid) return invalid;
      if (changed.length > 0) {
        await m.query(
          `INSERT INTO pilot_role (role_key, fqan_pattern, pool_id)
           SELECT k, f, (SELECT id FROM pool WHERE name = p) FROM unnest($1::text[], $2::text[], $3::text[]) AS x(k, f, p)
           ON CONFLICT (role_key) DO UPDATE SET fqan_pattern = EXCLUDED.fqan_pattern, pool_id = EXCLUDED.pool_id`,
          [changed.map((r) => r.id), changed.map((r) => r.fqanPattern), changed.map((r) => r.poolId)],
        );
      }
      return ok({ changed: changed.length });
    });
  }

  upsertPayloadCallers(callers: readonly PayloadCaller[]): Promise<ConfigWrite> {
    return this.write(async (m, current) => {
      const { next, changed } = upsertBy(current.payloadCallers, callers, (c) => c.id, (c) => JSON.stringify([c.kind, c.dn]));
      const invalid = this.check(withPart(current, 'payloadCallers', next));
      if (invalid) return invalid;
      if (changed.length > 0) {
        await m.query(
          `INSERT INTO payload_caller (caller_key, kind, dn) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
           ON CONFLICT (caller_key) DO UPDATE SET kind = EXCLUDED.kind, dn = EXCLUDED.dn`,
          [changed.map((c) => c.id), changed.map((c) => c.kind), changed.map((c) => c.dn)],
        );
      }
      return ok({ changed: changed.length });
    });
  }

  private write(work: (m: EntityManager, current: MappingConfig) => Promise<ConfigWrite>): Promise<ConfigWrite> {
    return this.scope.run(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('gridauthz.mapping-config'))`);
      return work(m, await loadConfig(m));
    });
  }

  private check(candidate: MappingConfig): Failure | undefined {
    const compiled = compileMappingConfig(candidate, this.settings);
    return compiled.ok ? undefined : compiled;
  }
}

/** The configuration with one part replaced: the candidate a write validates. */
function withPart<K extends keyof MappingConfig>(current: MappingConfig, key: K, part: MappingConfig[K]): MappingConfig {
  const { pools, groups, rules, pilotRoles, payloadCallers } = current;
  return { pools, groups, rules, pilotRoles, payloadCallers, [key]: part };
}

interface PoolRow {
  id: string;
  name: string;
  kind: PoolKind;
}

async function loadConfig(m: EntityManager): Promise<MappingConfig> {
  const poolRows = await m.query<PoolRow[]>(`SELECT id, name, kind FROM pool ORDER BY id`);
  const accountRows = await m.query<{ pool_id: string; username: string; uid: number; gid: number }[]>(
    `SELECT pool_id, username, uid, gid FROM pool_account WHERE enabled ORDER BY username COLLATE "C"`,
  );
  const accountsOf = new Map<string, { username: string; uid: number; gid: number }[]>();
  for (const a of accountRows) {
    const list = accountsOf.get(a.pool_id) ?? [];
    list.push({ username: a.username, uid: toInt(a.uid, 'uid'), gid: toInt(a.gid, 'gid') });
    accountsOf.set(a.pool_id, list);
  }
  const pools: PoolDefinition[] = poolRows.map((p) => ({ id: p.name, kind: p.kind, members: { kind: 'list', accounts: accountsOf.get(p.id) ?? [] } }));
  const groups = (await m.query<{ name: string; gid: number }[]>(`SELECT name, gid FROM unix_group ORDER BY id`)).map((g) => ({ name: g.name, gid: toInt(g.gid, 'gid') }));
  const ruleRows = await m.query<{ rule_key: string; subject_kind: SubjectPatternKind; pattern: string; issuer: string | null; pool_name: string | null; account_username: string | null; groups: string[] | null }[]>(
    `SELECT r.rule_key, r.subject_kind, r.pattern, r.issuer, p.name AS pool_name, r.account_username,
            (SELECT array_agg(g.name ORDER BY rg.position) FROM mapping_rule_group rg JOIN unix_group g ON g.id = rg.unix_group_id
             WHERE rg.mapping_rule_id = r.id) AS groups
     FROM mapping_rule r LEFT JOIN pool p ON p.id = r.account_pool_id
     ORDER BY r.position`,
  );
  const rules: MappingRule[] = ruleRows.map((r) => ({
    id: r.rule_key,
    subject: { kind: r.subject_kind, pattern: r.pattern, ...(r.issuer !== null ? { issuer: r.issuer } : {}) },
    ...(r.pool_name !== null ? { account: { kind: 'pool' as const, poolId: r.pool_name } } : {}),
    ...(r.account_username !== null ? { account: { kind: 'static' as const, username: r.account_username } } : {}),
    ...(r.groups !== null && r.groups.length > 0 ? { groups: r.groups } : {}),
  }));
  const pilotRoles = (
    await m.query<{ role_key: string; fqan_pattern: string; pool_name: string }[]>(
      `SELECT r.role_key, r.fqan_pattern, p.name AS pool_name FROM pilot_role r JOIN pool p ON p.id = r.pool_id ORDER BY r.id`,
    )
  ).map((r) => ({ id: r.role_key, fqanPattern: r.fqan_pattern, poolId: r.pool_name }));
  const payloadCallers = (await m.query<{ caller_key: string; kind: 'pilot' | 'host'; dn: string }[]>(`SELECT caller_key, kind, dn FROM payload_caller ORDER BY id`)).map(
    (c) => ({ id: c.caller_key, kind: c.kind, dn: c.dn }),
  );
  return { pools, groups, rules, pilotRoles, payloadCallers };
}

/** Inserts or updates a pool and its accounts; accounts no longer in the definition are disabled. */
async function writePool(m: EntityManager, pool: PoolDefinition): Promise<void> {
  const expanded = expandPool(pool);
  if (!expanded.ok) throw new Error(`pool ${pool.id} passed validation but does not expand: ${expanded.error.detail}`);
  const [row] = await m.query<{ id: string }[]>(
    `INSERT INTO pool (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind RETURNING id`,
    [pool.id, pool.kind],
  );
  if (!row) throw new Error(`pool ${pool.id}: upsert returned no row`);
  const accounts = expanded.value.accounts;
  await m.query(
    `INSERT INTO pool_account (pool_id, username, uid, gid, enabled)
     SELECT $1, u, i, g, true FROM unnest($2::text[], $3::int[], $4::int[]) AS x(u, i, g)
     ON CONFLICT (username) DO UPDATE SET pool_id = EXCLUDED.pool_id, uid = EXCLUDED.uid, gid = EXCLUDED.gid, enabled = true
     WHERE (pool_account.pool_id, pool_account.uid, pool_account.gid, pool_account.enabled) IS DISTINCT FROM (EXCLUDED.pool_id, EXCLUDED.uid, EXCLUDED.gid, true)`,
    [row.id, accounts.map((a) => a.username), accounts.map((a) => a.uid), accounts.map((a) => a.gid)],
  );
  await m.query(`UPDATE pool_account SET enabled = false WHERE pool_id = $1 AND enabled AND NOT (username = ANY ($2::text[]))`, [
    row.id,
    accounts.map((a) => a.username),
  ]);
}

/** Live leases on accounts that the changed pools would drop or move elsewhere. */
async function leasedAccountsDropped(m: EntityManager, changed: readonly PoolDefinition[]): Promise<Problem[]> {
  if (changed.length === 0) return [];
  const keep = new Map<string, Set<string>>();
  for (const p of changed) {
    const e = expandPool(p);
    keep.set(p.id, new Set(e.ok ? e.value.accounts.map((a) => a.username) : []));
  }
  const live = await m.query<{ pool_name: string; username: string; subject_key: string }[]>(
    `SELECT p.name AS pool_name, a.username, l.subject_key
     FROM lease l JOIN pool p ON p.id = l.pool_id JOIN pool_account a ON a.id = l.account_id
     WHERE l.released_at IS NULL AND p.name = ANY ($1::text[])
     ORDER BY a.username COLLATE "C"`,
    [[...keep.keys()]],
  );
  return live
    .filter((l) => !keep.get(l.pool_name)?.has(l.username))
    .map((l) => ({ message: `pool ${l.pool_name}: account ${l.username} is leased to ${l.subject_key}; release the lease before removing it from the pool` }));
}

function invalidWith(problems: readonly Problem[]): Failure {
  return { ok: false, error: { code: 'MAPPING_CONFIG_INVALID', detail: problems.map((p) => p.message).join('; '), problems } };
}

/** A pool compared by what it hands out, so a `range` equal to the stored `list` is unchanged. */
function poolSignature(pool: PoolDefinition): string {
  const e = expandPool(pool);
  return JSON.stringify([pool.kind, e.ok ? e.value.accounts.map((a) => [a.username, a.uid, a.gid]) : pool.members]);
}

function normalRule(r: MappingRule): unknown {
  const account = r.account === undefined ? null : r.account.kind === 'pool' ? ['pool', r.account.poolId] : ['static', r.account.username];
  return [r.id, r.subject.kind, r.subject.issuer ?? null, r.subject.pattern, account, r.groups ?? []];
}

/** Merges `incoming` into `current` by key; returns the merged list and the incoming items that differ. */
function upsertBy<T>(current: readonly T[], incoming: readonly T[], key: (item: T) => string, signature: (item: T) => string): { next: T[]; changed: T[] } {
  const next = [...current];
  const changed = new Map<string, T>();
  for (const item of incoming) {
    const i = next.findIndex((x) => key(x) === key(item));
    if (i < 0) {
      next.push(item);
      changed.set(key(item), item);
    } else if (signature(next[i] as T) !== signature(item)) {
      next[i] = item;
      changed.set(key(item), item);
    }
  }
  return { next, changed: [...changed.values()] };
}
