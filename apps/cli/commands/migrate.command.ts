import type { Command } from 'commander';
import { MIGRATIONS } from '../../../migrations';
import { openDatabase } from './open-database';
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
    const { db, target } = await openDatabase(config, { requireCurrentSchema: false });
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
