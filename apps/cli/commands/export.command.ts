import type { Command } from 'commander';
import { ARGUS_SETTINGS, describeProblem, exportGridmapdirToDisk, LEASE_NAME_SETTINGS } from '@gridauthz/mapping';
import { PostgresLeaseStore, PostgresMappingConfigStore } from '@gridauthz/persistence';
import { CliError } from '../cli-error';
import { addConfigOption, type ConfigFlags } from './config-options';
import { leaseConventionOf, openCliDatabase, warnUnreachable } from './import.command';

interface GridmapdirExportFlags extends ConfigFlags {
  pool?: string[];
  argus?: boolean;
  leaseNames?: string;
}

/** `gridauthz export gridmapdir <dir>`: the pools and live leases as a gridmapdir LCMAPS and Argus can read. */
export function registerExport(program: Command): void {
  const command = program.command('export').description('export the database in legacy formats');
  addConfigOption(
    command
      .command('gridmapdir <dir>')
      .description('write pool accounts and live leases as a new gridmapdir (the directory must not exist; swap it in yourself)')
      .option('--pool <id...>', 'pools to export (default: every user and pilot pool)')
      .option('--argus', 'Argus PEPds read the directory too: refuse pool names ending in a digit')
      .option('--lease-names <convention>', `lease-name convention the readers use: ${LEASE_NAME_SETTINGS.join(' | ')} (default: mapping.leaseNames)`),
  ).action(async (dir: string, flags: GridmapdirExportFlags) => {
    const convention = leaseConventionOf(flags);
    const { db } = await openCliDatabase(flags);
    try {
      // One snapshot of pools and leases, so the directory never shows a lease whose account is not in it.
      const input = await db.transaction(async (m) => {
        await m.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
        const config = await new PostgresMappingConfigStore(m, ARGUS_SETTINGS).load();
        const wanted = (id: string): boolean => flags.pool === undefined || flags.pool.includes(id);
        const pools = config.pools
          .filter((p) => p.kind !== 'static' && wanted(p.id))
          .map((p) => ({ poolId: p.id, usernames: p.members.kind === 'list' ? p.members.accounts.map((a) => a.username) : [] }));
        const exported = new Set(pools.map((p) => p.poolId));
        const leases = (await new PostgresLeaseStore(m).list()).filter((l) => exported.has(l.poolId));
        return { pools, leases };
      });
      for (const id of flags.pool ?? []) if (!input.pools.some((p) => p.poolId === id)) throw new CliError(`no user or pilot pool ${id}`, 1);
      // Names are written verbatim (LCMAPS finds a lease by its exact name); one the readers' convention never
      // produces is reported, since they will lease its owner a second account instead of finding it.
      const unreachable = input.leases.filter((l) => warnUnreachable(l.subjectKey, convention.key, convention.label));
      if (unreachable.length > 0) process.stderr.write(`warning: ${unreachable.length} lease(s) will never be found with lease names ${convention.label}\n`);
      let written;
      try {
        written = await exportGridmapdirToDisk(dir, input, { argusReaders: flags.argus === true });
      } catch (err) {
        throw new CliError(`cannot write ${dir}: ${(err as Error).message}`, 73);
      }
      if (!written.ok) {
        for (const p of written.error.problems) process.stderr.write(`${describeProblem(p)}\n`);
        throw new CliError(`${written.error.problems.length} problem(s); nothing written to ${dir}`, 1);
      }
      process.stdout.write(`wrote ${written.value.written} entries (${input.pools.reduce((n, p) => n + p.usernames.length, 0)} accounts, ${input.leases.length} leases) to ${dir}\n`);
    } finally {
      await db.close();
    }
  });
}
