import type { Command } from 'commander';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../../migrations';
import { createLogger, describeDatabaseUrl } from '../../server/logging/logger';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';

interface MigrateFlags extends ConfigFlags {
  revert?: boolean;
  status?: boolean;
}

export function registerMigrate(program: Command): void {
  addConfigOption(
    program
      .command('migrate')
      .description('apply pending database migrations (or show them, or revert the newest)')
      .option('--status', 'list applied and pending migrations, change nothing')
      .option('--revert', 'revert the most recently applied migration'),
  ).action(async (flags: MigrateFlags) => {
    const config = configFor(flags);
    const log = createLogger({ log: { ...config.log, level: config.log.level === 'info' ? 'warn' : config.log.level } });
    const target = config.database.url ? describeDatabaseUrl(config.database.url) : `embedded database in ${config.database.dataDir}`;
    let db: Database;
    try {
      db = await Database.open({ url: config.database.url, dataDir: config.database.dataDir, migrations: MIGRATIONS, log, acquireTimeoutMs: 10_000 });
    } catch (err) {
      throw new CliError(`cannot open ${target}: ${(err as Error).message}`, 69);
    }
    try {
      if (flags.status) {
        const applied = new Set(await db.appliedMigrations());
        for (const m of MIGRATIONS) process.stdout.write(`${applied.has(m.name) ? 'applied' : 'pending'}  ${m.name}\n`);
      } else if (flags.revert) {
        process.stdout.write((await db.revertLast()) ? `reverted the newest migration on ${target}\n` : `nothing to revert on ${target}\n`);
      } else {
        const applied = await db.migrate();
        process.stdout.write(applied.length ? `applied on ${target}:\n${applied.map((n) => `  ${n}\n`).join('')}` : `${target} is up to date\n`);
      }
    } finally {
      await db.close();
    }
  });
}
