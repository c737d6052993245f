import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { EntityManager } from 'typeorm';
import {
  ARGUS_SETTINGS,
  decodeLeaseName,
  describeProblem,
  importGridMapfile,
  importGridmapdirFromDisk,
  importGroupMapfile,
  importLcmapsBanFile,
  LCMAPS_SETTINGS,
  LEASE_NAME_SETTINGS,
  leaseKeyConventionFor,
  leaseNameMismatch,
  type LeaseKeyConvention,
  type MappingConfig,
  type MappingRule,
  type MappingSettings,
  type PoolDefinition,
  type Problem,
  reviewMappingChange,
  type UnixGroup,
} from '@gridauthz/mapping';
import { ErrorCodes } from '@gridauthz/domain';
import { audited, type AuditedTransaction, type Database, localActor, PostgresBanStore, PostgresLeaseStore, PostgresMappingConfigStore } from '@gridauthz/persistence';
import { CliError } from '../cli-error';
import { registerCallerImport } from './caller.command';
import { openDatabase } from './open-database';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';

interface ImportFlags extends ConfigFlags {
  dryRun?: boolean;
  force?: boolean;
}

interface GridmapdirFlags extends ImportFlags {
  pool?: string[];
  pilot?: string[];
  membership?: string;
  passwd?: string;
  group?: string;
  syntax?: string;
  leaseNames?: string;
}

interface MapFileFlags extends ImportFlags {
  syntax?: string;
  source?: string;
}

interface BanFileFlags extends ImportFlags {
  kind?: string;
  author?: string;
}

/** Counts an import prints per kind of record; a second identical import prints only unchanged ones. */
interface Counts {
  inserted: number;
  updated: number;
  unchanged: number;
  removed?: number;
}

/** Thrown inside the import transaction to roll a dry run back after everything was checked and counted. */
class DryRun extends Error {}

/**
 * `gridauthz import …`: legacy files into the database. Each import is one transaction: a file with any problem
 * imports nothing, every problem is printed with its file and line, and the exit code is 1. Importing the same
 * input again changes nothing.
 */
export function registerImport(program: Command): void {
  const command = program.command('import').description('import gridmapdir, grid-mapfile, groupmapfile or LCMAPS ban files (all or nothing)');

  withCommon(
    command
      .command('gridmapdir <dir>')
      .description('import pool accounts and leases from a gridmapdir (accounts new to the database take uid/gid from --passwd)')
      .option('--pool <id...>', 'pool ids to recognise (default: every name ending in digits names the pool of its prefix)')
      .option('--membership <rule>', 'pool membership rule with --pool: strict | legacy | argus', 'strict')
      .option('--force', 'import even if the pools make a static rule map onto a leased account (refused otherwise)')
      .option('--pilot <id...>', 'pools to create as pilot pools (default: user pools)')
      .option('--passwd <file>', 'passwd file giving uid and primary gid of accounts not yet in the database')
      .option('--group <file>', 'group file naming primary gids not yet in the database')
      .option('--syntax <syntax>', 'pattern semantics the stored rules are validated with: argus | lcmaps', 'argus')
      .option('--lease-names <convention>', `lease-name convention to check the leases against: ${LEASE_NAME_SETTINGS.join(' | ')} (default: mapping.leaseNames)`),
  ).action(async (dir: string, flags: GridmapdirFlags) => {
    const membership = choice(flags.membership ?? 'strict', ['strict', 'legacy', 'argus'] as const, '--membership');
    const convention = leaseConventionOf(flags);
    const read = await importGridmapdirFromDisk(dir, { membership, ...(flags.pool ? { poolIds: flags.pool } : {}) });
    if (!read.ok) failWithProblems(read.error.problems, dir);
    // Leases are imported verbatim whatever their shape: each still holds its account. One the configured convention
    // never produces is reported, because no mapping will find it and its owner would get a second account.
    const unreachable = read.value.leases.filter((l) => warnUnreachable(l.subjectKey, convention.key, convention.label));
    if (unreachable.length > 0) process.stderr.write(`warning: ${unreachable.length} lease(s) will never be found with lease names ${convention.label}\n`);
    const passwd = flags.passwd ? readColonFile(flags.passwd, 'passwd') : undefined;
    const groupFile = flags.group ? readColonFile(flags.group, 'group') : undefined;
    await inImportTransaction(flags, { kind: 'gridmapdir', input: dir }, async (m, summary) => {
      const config = new PostgresMappingConfigStore(m, settingsFor(flags.syntax));
      const current = await config.load();
      const problems: Problem[] = [];
      const { pools, groups } = poolsForGridmapdir(read.value.pools, current, new Set(flags.pilot ?? []), { passwd, groupFile, flags }, problems);
      if (problems.length > 0) failWithProblems(problems, dir);
      const groupCounts = countsOf(await config.upsertGroups(groups), groups.length, groups.filter((g) => !current.groups.some((c) => c.name === g.name)).length, dir);
      const poolCounts = countsOf(await config.upsertPools(pools), pools.length, pools.filter((p) => !current.pools.some((c) => c.id === p.id)).length, dir);
      const leases = await new PostgresLeaseStore(m).upsert(read.value.leases, new Date());
      if (!leases.ok) failWithProblems([{ message: `${leases.error.code}: ${leases.error.detail}` }], dir);
      await reviewImported(config, current, flags, summary, dir);
      summary.counts['unixGroups'] = report('unix groups', groupCounts);
      summary.counts['pools'] = report('pools', poolCounts);
      summary.counts['leases'] = report('leases', leases.value);
      if (read.value.ignored.length > 0) warn(summary, `ignored ${read.value.ignored.length} names that are neither pool accounts nor leases`);
    });
  });

  for (const kind of ['grid-mapfile', 'groupmapfile'] as const) {
    withCommon(
      command
        .command(`${kind} <file>`)
        .description(kind === 'grid-mapfile' ? 'import account rules (DN/FQAN → .pool or account)' : 'import group rules (DN/FQAN → unix groups)')
        .option('--syntax <syntax>', 'file dialect and pattern semantics: argus | lcmaps (must match the server setting)', 'argus')
        .option('--source <name>', 'rule-id prefix; re-importing a source replaces its rules in place', kind)
        .option('--force', 'import even a static mapping onto an account of a leased pool (refused otherwise)'),
    ).action(async (file: string, flags: MapFileFlags) => {
      const syntax = choice(flags.syntax ?? 'argus', ['argus', 'lcmaps'] as const, '--syntax');
      const source = flags.source ?? kind;
      const text = readText(file);
      await inImportTransaction(flags, { kind, input: file }, async (m, summary) => {
        const config = new PostgresMappingConfigStore(m, settingsFor(syntax));
        const current = await config.load();
        const context = {
          syntax,
          source,
          pools: new Set(current.pools.filter((p) => p.kind !== 'static').map((p) => p.id)),
          accounts: new Set(current.pools.flatMap((p) => (p.members.kind === 'list' ? p.members.accounts.map((a) => a.username) : []))),
          groups: new Set(current.groups.map((g) => g.name)),
        };
        const imported = kind === 'grid-mapfile' ? importGridMapfile(text, context) : importGroupMapfile(text, context);
        if (!imported.ok) failWithProblems(imported.error.problems, file);
        for (const w of imported.value.warnings) warn(summary, describeProblem(w));
        const { rules, counts } = replaceSource(current.rules, imported.value.items, `${source}:`);
        const written = await config.replaceRules(rules);
        if (!written.ok) failWithProblems(written.error.problems, file);
        await reviewImported(config, current, flags, summary, file);
        summary.counts['rules'] = report('rules', counts);
      });
    });
  }

  withCommon(
    command
      .command('banfile <file>')
      .description('import an LCMAPS ban_dn / ban_fqan file as bans')
      .option('--kind <kind>', 'dn (lcmaps_ban_dn.mod) | fqan (lcmaps_ban_fqan.mod)', 'dn')
      .option('--author <who>', 'recorded as who created the bans (default: the invoking user)'),
  ).action(async (file: string, flags: BanFileFlags) => {
    const kind = choice(flags.kind ?? 'dn', ['dn', 'fqan'] as const, '--kind');
    const author = flags.author ?? `cli:${userInfo().username}`;
    const imported = importLcmapsBanFile(readText(file), { kind, file, author, now: new Date() });
    if (!imported.ok) failWithProblems(imported.error.problems, file);
    await inImportTransaction(flags, { kind: 'banfile', input: file }, async (m, summary, tx) => {
      for (const w of imported.value.warnings) warn(summary, describeProblem(w));
      const result = await new PostgresBanStore(m, { actor: author }).upsert(imported.value.items);
      if (!result.ok) failWithProblems([{ message: result.error.detail }], file);
      // Each new ban is in the audit trail like one added through the API (`audit log --action ban.add`).
      for (const ban of result.value.inserted) {
        await tx.record({
          action: 'ban.add',
          target: ban.id,
          after: {
            id: ban.id,
            kind: ban.kind,
            value: ban.value,
            issuer: ban.issuer,
            reason: ban.reason,
            author: ban.author,
            createdAt: ban.createdAt.toISOString(),
            expiresAt: ban.expiresAt?.toISOString() ?? null,
            state: 'active',
            source: resolve(file),
          },
        });
      }
      summary.counts['bans'] = report('bans', { inserted: result.value.inserted.length, updated: 0, unchanged: result.value.unchanged.length });
    });
  });

  registerCallerImport(command);
}

const withCommon = (c: Command): Command => addConfigOption(c.option('--dry-run', 'check and count everything, then roll back'));

/** The lease-key convention of --lease-names, else of the configuration (mapping.leaseNames, mapping.conventions). */
export function leaseConventionOf(flags: ConfigFlags & { leaseNames?: string }): { key: LeaseKeyConvention; label: string } {
  const config = configFor(flags);
  const setting = flags.leaseNames === undefined ? config.mapping.leaseNames : choice(flags.leaseNames, LEASE_NAME_SETTINGS, '--lease-names');
  return { key: leaseKeyConventionFor(setting, config.mapping.conventions), label: setting === 'auto' ? `auto (${config.mapping.conventions})` : setting };
}

/** Prints why a lease name cannot come out of the convention; true if it cannot. */
export function warnUnreachable(name: string, convention: LeaseKeyConvention, label: string): boolean {
  const decoded = decodeLeaseName(name);
  const why = typeof decoded === 'string' ? decoded : leaseNameMismatch(decoded, convention);
  if (why !== undefined) process.stderr.write(`warning: ${name}: ${why} (lease names ${label})\n`);
  return why !== undefined;
}

/** The configured database with an up-to-date schema, for the import and export commands. */
export const openCliDatabase = (flags: ConfigFlags): Promise<{ db: Database; target: string }> => openDatabase(configFor(flags));

/** What one import did, recorded as its admin_audit row (`import.<kind>`, channel direct, the local OS user). */
interface ImportSummary {
  readonly counts: Record<string, Counts>;
  readonly warnings: string[];
}

/**
 * Runs an import in one transaction together with its audit row: the counts and every warning, with the OS user
 * who ran it (channel "direct": no admin API, no certificate). A dry run rolls both back.
 */
async function inImportTransaction(
  flags: ImportFlags,
  what: { kind: string; input: string },
  work: (m: EntityManager, summary: ImportSummary, tx: AuditedTransaction) => Promise<void>,
): Promise<void> {
  const { db, target } = await openCliDatabase(flags);
  try {
    await audited(db, { actor: localActor() }, async (tx) => {
      const summary: ImportSummary = { counts: {}, warnings: [] };
      await work(tx.manager, summary, tx);
      await tx.record({ action: `import.${what.kind}`, target: what.input, after: { input: resolve(what.input), counts: summary.counts, warnings: summary.warnings } });
      if (flags.dryRun) throw new DryRun();
    });
    process.stdout.write(`imported into ${target}\n`);
  } catch (err) {
    if (!(err instanceof DryRun)) throw err;
    process.stdout.write(`dry run: nothing written to ${target}\n`);
  } finally {
    await db.close();
  }
}

/** Prints a warning to stderr and keeps it for the import's audit row. */
function warn(summary: ImportSummary, text: string): void {
  summary.warnings.push(text);
  process.stderr.write(`warning: ${text}\n`);
}

/**
 * Every warning the mapping configuration has after the import (printed and audited); a static mapping onto an
 * account of a leased pool that the import introduces ends it, nothing imported, unless --force.
 */
async function reviewImported(config: PostgresMappingConfigStore, before: MappingConfig, flags: ImportFlags, summary: ImportSummary, input: string): Promise<void> {
  const review = reviewMappingChange(before, await config.load(), config.settings, flags.force === true);
  for (const w of review.warnings) warn(summary, describeProblem(w));
  if (review.refusals.length > 0) {
    for (const p of review.refusals) process.stderr.write(`${describeProblem(p)}\n`);
    throw new CliError(
      `${ErrorCodes.MAPPING_STATIC_ON_LEASED_POOL}: ${input} maps statically onto an account of a leased pool (two people could share its uid); map to the pool instead, or repeat with --force; nothing imported`,
      1,
    );
  }
}

/** Prints every problem, then ends the command (and rolls back its transaction) with exit code 1. */
function failWithProblems(problems: readonly Problem[], input: string): never {
  for (const p of problems) process.stderr.write(`${describeProblem(p)}\n`);
  throw new CliError(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${input}; nothing imported`, 1);
}

function report(what: string, c: Counts): Counts {
  process.stdout.write(`${what}: ${c.inserted} inserted, ${c.updated} updated, ${c.unchanged} unchanged${c.removed ? `, ${c.removed} removed` : ''}\n`);
  return c;
}

function countsOf(write: Awaited<ReturnType<PostgresMappingConfigStore['upsertPools']>>, total: number, fresh: number, input: string): Counts {
  if (!write.ok) failWithProblems(write.error.problems, input);
  return { inserted: fresh, updated: write.value.changed - fresh, unchanged: total - write.value.changed };
}

function settingsFor(syntax: string | undefined): MappingSettings {
  return syntax === 'lcmaps' ? LCMAPS_SETTINGS : ARGUS_SETTINGS;
}

function choice<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(`${option} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, 2);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 66);
  }
}

interface ColonEntry {
  readonly name: string;
  readonly id: number;
  readonly gid: number;
}

/** passwd (name:x:uid:gid:…) or group (name:x:gid:…) lines by name and, for groups, by gid. */
function readColonFile(file: string, kind: 'passwd' | 'group'): { byName: Map<string, ColonEntry>; byId: Map<number, ColonEntry> } {
  const byName = new Map<string, ColonEntry>();
  const byId = new Map<number, ColonEntry>();
  for (const line of readText(file).split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const id = Number(f[2]);
    const gid = kind === 'passwd' ? Number(f[3]) : id;
    if (!f[0] || !Number.isInteger(id) || !Number.isInteger(gid)) continue;
    const entry = { name: f[0], id, gid };
    byName.set(entry.name, entry);
    if (!byId.has(id)) byId.set(id, entry);
  }
  return { byName, byId };
}

/**
 * The pool definitions a gridmapdir import writes: each pool's stored accounts plus the directory's new ones, whose
 * uid and gid come from the passwd file (a gridmapdir holds only names). Groups for new primary gids come from the
 * group file. Anything missing is a problem naming the account.
 */
function poolsForGridmapdir(
  found: readonly { poolId: string; usernames: readonly string[] }[],
  current: MappingConfig,
  pilots: ReadonlySet<string>,
  files: { passwd: ReturnType<typeof readColonFile> | undefined; groupFile: ReturnType<typeof readColonFile> | undefined; flags: GridmapdirFlags },
  problems: Problem[],
): { pools: PoolDefinition[]; groups: UnixGroup[] } {
  const poolOfAccount = new Map<string, string>();
  for (const p of current.pools) if (p.members.kind === 'list') for (const a of p.members.accounts) poolOfAccount.set(a.username, p.id);
  const knownGids = new Set(current.groups.map((g) => g.gid));
  const groups = new Map<number, UnixGroup>();
  const pools: PoolDefinition[] = [];
  for (const found1 of found) {
    const stored = current.pools.find((p) => p.id === found1.poolId);
    const accounts = new Map((stored?.members.kind === 'list' ? stored.members.accounts : []).map((a) => [a.username, a]));
    for (const username of found1.usernames) {
      if (accounts.has(username)) continue;
      const elsewhere = poolOfAccount.get(username);
      if (elsewhere !== undefined) {
        problems.push({ file: username, message: `is an account of pool ${elsewhere} in the database, not of ${found1.poolId}` });
        continue;
      }
      const pw = files.passwd?.byName.get(username);
      if (!pw) {
        problems.push({ file: username, message: files.flags.passwd ? `account not in ${files.flags.passwd}` : 'account not in the database; pass --passwd to create it' });
        continue;
      }
      accounts.set(username, { username, uid: pw.id, gid: pw.gid });
      if (!knownGids.has(pw.gid) && !groups.has(pw.gid)) {
        const g = files.groupFile?.byId.get(pw.gid);
        if (g) groups.set(pw.gid, { name: g.name, gid: pw.gid });
        else problems.push({ file: username, message: `primary gid ${pw.gid} is not a known group${files.flags.group ? ` nor in ${files.flags.group}` : '; pass --group'}` });
      }
    }
    pools.push({ id: found1.poolId, kind: stored?.kind ?? (pilots.has(found1.poolId) ? 'pilot' : 'user'), members: { kind: 'list', accounts: [...accounts.values()] } });
  }
  return { pools, groups: [...groups.values()] };
}

/** The rule list with the rules of one source replaced in place (appended if the source is new), and what changed. */
function replaceSource(current: readonly MappingRule[], incoming: readonly MappingRule[], prefix: string): { rules: MappingRule[]; counts: Counts } {
  const old = new Map(current.filter((r) => r.id.startsWith(prefix)).map((r) => [r.id, r]));
  const firstOld = current.findIndex((r) => r.id.startsWith(prefix));
  const others = current.filter((r) => !r.id.startsWith(prefix));
  const at = firstOld < 0 ? others.length : current.slice(0, firstOld).filter((r) => !r.id.startsWith(prefix)).length;
  const counts: Counts = { inserted: 0, updated: 0, unchanged: 0, removed: 0 };
  const incomingIds = new Set(incoming.map((r) => r.id));
  for (const r of incoming) {
    const before = old.get(r.id);
    if (!before) counts.inserted += 1;
    else if (ruleSignature(before) !== ruleSignature(r)) counts.updated += 1;
    else counts.unchanged += 1;
  }
  counts.removed = [...old.keys()].filter((id) => !incomingIds.has(id)).length;
  return { rules: [...others.slice(0, at), ...incoming, ...others.slice(at)], counts };
}

function ruleSignature(r: MappingRule): string {
  const account = r.account === undefined ? null : r.account.kind === 'pool' ? ['pool', r.account.poolId] : ['static', r.account.username];
  return JSON.stringify([r.subject.kind, r.subject.pattern, account, r.groups ?? []]);
}

