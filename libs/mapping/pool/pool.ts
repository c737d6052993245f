import { fail, ok, type Result } from '@gridauthz/domain';
import { failWithProblems, type Checked, type Problem } from '../problem';

/** One POSIX account a pool can hand out (ARCHITECTURE "Data": pool_account). */
export interface PoolAccount {
  readonly poolId: string;
  readonly username: string;
  readonly uid: number;
  /** Primary gid from passwd; used when no rule supplies groups. */
  readonly gid: number;
}

/** A unix group as the rules name it (ARCHITECTURE "Data": unix_group). */
export interface UnixGroup {
  readonly name: string;
  readonly gid: number;
}

/**
 * `user`: leased to payload owners. `pilot`: leased to pilot credentials only (mapping.md §7).
 * `static`: never leased; holds accounts that rules name directly (e.g. `localuser`, `atlassgm001`).
 */
export type PoolKind = 'user' | 'pilot' | 'static';

export type PoolMembers =
  | {
      /** `prefix` + zero-padded index, e.g. atlas001..atlas050, uids counting up from firstUid. */
      readonly kind: 'range';
      readonly prefix: string;
      readonly count: number;
      readonly firstUid: number;
      readonly width: number;
      readonly gid: number;
      /** Index of the first account; YAIM-style pools start at 1. */
      readonly firstIndex?: number;
    }
  | {
      readonly kind: 'list';
      readonly accounts: readonly { readonly username: string; readonly uid: number; readonly gid: number }[];
    };

/** The pool id is its gridmapdir name: grid-mapfile target `.atlas` names pool `atlas` (mapping.md §2.2). */
export interface PoolDefinition {
  readonly id: string;
  readonly kind: PoolKind;
  readonly members: PoolMembers;
}

export interface ExpandedPool {
  readonly id: string;
  readonly kind: PoolKind;
  /** Sorted by username (byte order), the order leases are handed out in. */
  readonly accounts: readonly PoolAccount[];
}

// POSIX portable user names (useradd's default check), and what fits a gridmapdir entry.
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
// Group names may carry upper case and dots in the wild (mapping.md §2.3.2 `Atlas-Prd.X_1`), never ':' or '/'.
const GROUP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/;
const POOL_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,30}$/;
const MAX_ID = 2 ** 31 - 2; // uid/gid_t is 32-bit; -1 (4294967295) is reserved and Linux tools break above 2^31

function validId(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_ID;
}

/** Byte-order comparison; Postgres must sort with COLLATE "C" to agree. */
export function compareUsernames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function expandPool(pool: PoolDefinition): Result<ExpandedPool, 'MAPPING_CONFIG_INVALID'> {
  const problems: string[] = [];
  if (!POOL_ID.test(pool.id)) problems.push(`pool id "${pool.id}" is not a valid pool name`);
  let accounts: PoolAccount[] = [];
  const m = pool.members;
  if (m.kind === 'range') {
    const first = m.firstIndex ?? 1;
    if (!Number.isInteger(m.count) || m.count < 1) problems.push(`pool ${pool.id}: count must be a positive integer`);
    if (!Number.isInteger(m.width) || m.width < 1) problems.push(`pool ${pool.id}: width must be a positive integer`);
    if (!Number.isInteger(first) || first < 0) problems.push(`pool ${pool.id}: firstIndex must be a non-negative integer`);
    // A wider last index would sort before its predecessors (atlas1000 < atlas999) and break lowest-first order.
    else if (String(first + m.count - 1).length > m.width)
      problems.push(`pool ${pool.id}: width ${m.width} cannot hold index ${first + m.count - 1}`);
    if (!validId(m.firstUid) || !validId(m.firstUid + m.count - 1)) problems.push(`pool ${pool.id}: uid range out of bounds`);
    if (!validId(m.gid)) problems.push(`pool ${pool.id}: gid ${m.gid} out of bounds`);
    if (problems.length === 0) {
      accounts = Array.from({ length: m.count }, (_, i) => ({
        poolId: pool.id,
        username: `${m.prefix}${String(first + i).padStart(m.width, '0')}`,
        uid: m.firstUid + i,
        gid: m.gid,
      }));
    }
  } else {
    if (m.accounts.length === 0) problems.push(`pool ${pool.id}: no accounts`);
    accounts = m.accounts.map((a) => ({ poolId: pool.id, username: a.username, uid: a.uid, gid: a.gid }));
  }
  for (const a of accounts) {
    if (!USERNAME.test(a.username)) problems.push(`pool ${pool.id}: "${a.username}" is not a valid user name`);
    if (!validId(a.uid)) problems.push(`pool ${pool.id}: ${a.username} uid ${a.uid} out of bounds`);
    if (!validId(a.gid)) problems.push(`pool ${pool.id}: ${a.username} gid ${a.gid} out of bounds`);
  }
  if (problems.length > 0) return fail('MAPPING_CONFIG_INVALID', problems.join('; '));
  return ok({ id: pool.id, kind: pool.kind, accounts: [...accounts].sort((a, b) => compareUsernames(a.username, b.username)) });
}

/**
 * Expands every pool and checks the site-wide invariants: pool ids, usernames, uids and group names/gids
 * are unique, and every account's primary gid is a known group. All problems are returned, not the first.
 */
export function expandPools(
  pools: readonly PoolDefinition[],
  groups: readonly UnixGroup[],
): Checked<readonly ExpandedPool[], 'MAPPING_CONFIG_INVALID'> {
  const problems: Problem[] = [];
  const groupByName = new Map<string, UnixGroup>();
  const groupByGid = new Map<number, UnixGroup>();
  for (const g of groups) {
    if (!GROUP_NAME.test(g.name)) problems.push({ message: `"${g.name}" is not a valid group name` });
    if (!validId(g.gid)) problems.push({ message: `group ${g.name}: gid ${g.gid} out of bounds` });
    if (groupByName.has(g.name)) problems.push({ message: `duplicate group name ${g.name}` });
    // One name per gid: LCMAPS lease suffixes are the group *names* of gids, so two names would be ambiguous.
    const sameGid = groupByGid.get(g.gid);
    if (sameGid) problems.push({ message: `groups ${sameGid.name} and ${g.name} share gid ${g.gid}` });
    groupByName.set(g.name, g);
    groupByGid.set(g.gid, g);
  }
  const expanded: ExpandedPool[] = [];
  const poolIds = new Set<string>();
  const byUsername = new Map<string, string>();
  const byUid = new Map<number, string>();
  for (const pool of pools) {
    if (poolIds.has(pool.id)) problems.push({ message: `duplicate pool id ${pool.id}` });
    poolIds.add(pool.id);
    const result = expandPool(pool);
    if (!result.ok) {
      problems.push({ message: result.error.detail });
      continue;
    }
    for (const a of result.value.accounts) {
      const otherPool = byUsername.get(a.username);
      if (otherPool !== undefined) problems.push({ message: `duplicate username ${a.username} (pools ${otherPool} and ${pool.id})` });
      const otherUser = byUid.get(a.uid);
      if (otherUser !== undefined) problems.push({ message: `duplicate uid ${a.uid} (${otherUser} and ${a.username})` });
      if (!groupByGid.has(a.gid)) problems.push({ message: `${a.username}: primary gid ${a.gid} is not a known group` });
      byUsername.set(a.username, pool.id);
      byUid.set(a.uid, a.username);
    }
    expanded.push(result.value);
  }
  if (problems.length > 0) return failWithProblems('MAPPING_CONFIG_INVALID', problems);
  return ok(expanded);
}
