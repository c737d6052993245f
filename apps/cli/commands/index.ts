import type { Command } from 'commander';
import { registerMigrate } from './migrate.command';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  registerMigrate(program);
}
