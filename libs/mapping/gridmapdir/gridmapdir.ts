import { ok } from '@gridauthz/domain';
import type { LeaseRecord } from '../lease/lease-store';
import { decodeLeaseName, MAX_LEASE_NAME_BYTES, TOKEN_LEASE_KEY_PREFIX } from '../lease/lease-name';
import { argusPoolPrefix, isPoolEntry, type PoolMembershipRule } from '../pool/pool-membership';
import { failWithProblems, type Checked, type Problem } from '../problem';

/** What lstat says about one name in a gridmapdir: all the import needs, so the logic stays pure. */
export interface GridmapdirEntry {
  readonly name: string;
  readonly ino: bigint;
  readonly nlink: number;
  readonly isFile: boolean;
  readonly mtime: Date;
}

export interface GridmapdirPool {
  readonly poolId: string;
  /** Sorted by byte order. */
  readonly usernames: readonly string[];
}

export interface ImportedLease extends LeaseRecord {
  /** Group names and mapcounter parsed from the name (mapping.md §2.3.3); the key itself is kept verbatim. */
  readonly groups: readonly string[];
  readonly mapcount?: number;
}

/**
 * A gridmapdir read into values the stores upsert: pool membership (uids and gids live in passwd, not here) and
 * leases keyed by (pool, lease name), so importing the same directory twice changes nothing.
 */
export interface GridmapdirImport {
  readonly pools: readonly GridmapdirPool[];
  readonly leases: readonly ImportedLease[];
  /** Names that are neither leases nor accounts of a pool, left alone. */
  readonly ignored: readonly string[];
}

export interface GridmapdirImportOptions {
  /** Pool ids to recognise. Absent: every name ending in digits is an account of the pool named by the rest. */
  readonly poolIds?: readonly string[];
  /** How names are assigned to pools (§2.2); LCMAPS's strict rule by default. */
  readonly membership?: PoolMembershipRule;
}

/** Reads gridmapdir entries (mapping.md §2.9). Any problem fails the whole import; every problem names its file. */
export function importGridmapdir(entries: readonly GridmapdirEntry[], options: GridmapdirImportOptions = {}): Checked<GridmapdirImport, 'MAPPING_IMPORT_INVALID'> {
  const problems: Problem[] = [];
  const ignored: string[] = [];
  const membership = options.membership ?? 'strict';
  const accountsByIno = new Map<bigint, { name: string; poolId: string; nlink: number }>();
  const pools = new Map<string, string[]>();
  const leaseEntries: GridmapdirEntry[] = [];

  for (const e of entries) {
    if (e.name.startsWith('%')) {
      leaseEntries.push(e);
      continue;
    }
    const poolId = poolOf(e.name, options.poolIds, membership);
    if (poolId === undefined || !e.isFile) {
      ignored.push(e.name);
      continue;
    }
    if (typeof poolId !== 'string') {
      problems.push({ file: e.name, message: `belongs to more than one pool (${poolId.join(', ')})` });
      continue;
    }
    if (e.nlink > 2) problems.push({ file: e.name, message: `has ${e.nlink} links; a pool account has at most one lease` });
    accountsByIno.set(e.ino, { name: e.name, poolId, nlink: e.nlink });
    pools.set(poolId, [...(pools.get(poolId) ?? []), e.name]);
  }

  const leases: ImportedLease[] = [];
  const leasedInos = new Set<bigint>();
  for (const e of leaseEntries) {
    const decoded = decodeLeaseName(e.name);
    if (typeof decoded === 'string') {
      problems.push({ file: e.name, message: decoded });
      continue;
    }
    if (!e.isFile) {
      problems.push({ file: e.name, message: 'lease is not a regular file' });
      continue;
    }
    if (e.nlink === 1) {
      problems.push({ file: e.name, message: 'solitary lease: the account it named is missing (link count 1)' });
      continue;
    }
    if (e.nlink > 2) {
      problems.push({ file: e.name, message: `lease has ${e.nlink} links` });
      continue;
    }
    const account = accountsByIno.get(e.ino);
    if (!account) {
      problems.push({ file: e.name, message: 'lease names no pool account in this directory' });
      continue;
    }
    leasedInos.add(e.ino);
    leases.push({
      poolId: account.poolId,
      subjectKey: e.name,
      username: account.name,
      lastUsedAt: e.mtime,
      groups: decoded.groups,
      ...(decoded.mapcount !== undefined ? { mapcount: decoded.mapcount } : {}),
    });
  }
  for (const [ino, account] of accountsByIno) {
    if (account.nlink === 2 && !leasedInos.has(ino)) problems.push({ file: account.name, message: 'has a second link that is not a lease in this directory' });
  }

  if (problems.length > 0) return failWithProblems('MAPPING_IMPORT_INVALID', problems);
  return ok({
    pools: [...pools.entries()].map(([poolId, names]) => ({ poolId, usernames: names.sort(byBytes) })).sort((a, b) => byBytes(a.poolId, b.poolId)),
    leases: leases.sort((a, b) => byBytes(a.subjectKey, b.subjectKey)),
    ignored: ignored.sort(byBytes),
  });
}

function poolOf(name: string, poolIds: readonly string[] | undefined, membership: PoolMembershipRule): string | readonly string[] | undefined {
  if (poolIds === undefined) return argusPoolPrefix(name);
  const matches = poolIds.filter((p) => isPoolEntry(name, p, membership));
  return matches.length === 0 ? undefined : matches.length === 1 ? matches[0] : matches;
}

/** What to write: empty account files, then hard links named by lease keys, with their last-used times. */
export interface GridmapdirLayout {
  readonly accounts: readonly string[];
  readonly links: readonly { readonly name: string; readonly account: string; readonly mtime: Date }[];
}

export interface GridmapdirExportInput {
  readonly pools: readonly GridmapdirPool[];
  readonly leases: readonly Pick<LeaseRecord, 'poolId' | 'subjectKey' | 'username' | 'lastUsedAt'>[];
}

/**
 * Plans a gridmapdir LCMAPS's poolaccount plugins accept (§2.1, §2.9): every account a pool entry under the strict
 * rule, every lease name a valid name of at most 255 bytes, each name and account used once; with `argusReaders`
 * (Argus PEPds share the directory) also no pool name ending in a digit (§2.2). Fails with all problems, each
 * naming the file.
 */
export function planGridmapdirExport(input: GridmapdirExportInput, options: { readonly argusReaders?: boolean } = {}): Checked<GridmapdirLayout, 'MAPPING_EXPORT_INVALID'> {
  const problems: Problem[] = [];
  const poolOfAccount = new Map<string, string>();
  for (const pool of input.pools) {
    // Argus derives the pool from the name minus its trailing digits, so "atlas2" can never be found there.
    if (options.argusReaders && /[0-9]$/.test(pool.poolId)) problems.push({ file: pool.poolId, message: 'Argus cannot use a pool name ending in a digit' });
    for (const name of pool.usernames) {
      if (!isPoolEntry(name, pool.poolId, 'strict')) problems.push({ file: name, message: `LCMAPS would not see it as an account of pool ${pool.poolId} (needs ${pool.poolId}<digits>)` });
      if (poolOfAccount.has(name)) problems.push({ file: name, message: 'account listed twice' });
      poolOfAccount.set(name, pool.poolId);
    }
  }
  const names = new Set<string>();
  const linked = new Set<string>();
  const links: { name: string; account: string; mtime: Date }[] = [];
  for (const lease of input.leases) {
    // Refused, not skipped: an exported gridmapdir without the lease would show the account free to LCMAPS.
    if (lease.subjectKey.startsWith(TOKEN_LEASE_KEY_PREFIX)) {
      problems.push({ file: lease.subjectKey, message: `a token identity's lease (docs/identities.md): a gridmapdir cannot name it; map tokens to pools that are not exported` });
      continue;
    }
    if (Buffer.byteLength(lease.subjectKey, 'utf8') > MAX_LEASE_NAME_BYTES) {
      problems.push({ file: lease.subjectKey, message: `lease name is longer than ${MAX_LEASE_NAME_BYTES} bytes (ENAMETOOLONG in LCMAPS)` });
      continue;
    }
    const decoded = decodeLeaseName(lease.subjectKey);
    if (typeof decoded === 'string') {
      problems.push({ file: lease.subjectKey, message: decoded });
      continue;
    }
    if (poolOfAccount.get(lease.username) !== lease.poolId) {
      problems.push({ file: lease.subjectKey, message: `${lease.username} is not an exported account of pool ${lease.poolId}` });
      continue;
    }
    // One directory entry per name: the same key leased in two pools cannot be expressed in a gridmapdir.
    if (names.has(lease.subjectKey)) problems.push({ file: lease.subjectKey, message: 'lease key is held in more than one pool' });
    if (linked.has(lease.username)) problems.push({ file: lease.subjectKey, message: `${lease.username} is leased twice` });
    names.add(lease.subjectKey);
    linked.add(lease.username);
    links.push({ name: lease.subjectKey, account: lease.username, mtime: lease.lastUsedAt });
  }
  if (problems.length > 0) return failWithProblems('MAPPING_EXPORT_INVALID', problems);
  return ok({ accounts: [...poolOfAccount.keys()].sort(byBytes), links: links.sort((a, b) => byBytes(a.name, b.name)) });
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
