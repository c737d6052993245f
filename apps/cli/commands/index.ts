import type { Command } from 'commander';
import { registerDevPki } from './dev-pki.command';
import { registerExport } from './export.command';
import { registerImport } from './import.command';
import { registerMigrate } from './migrate.command';
import { registerServe } from './serve.command';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  registerDevPki(program);
  registerExport(program);
  registerImport(program);
  registerMigrate(program);
  registerServe(program);
}
