import type { Command } from 'commander';
import { registerCred } from './cred.command';
import { registerDevPki } from './dev-pki.command';
import { registerExport } from './export.command';
import { registerImport } from './import.command';
import { registerMigrate } from './migrate.command';
import { registerPolicy } from './policy.command';
import { registerQuery } from './query.command';
import { registerServe } from './serve.command';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  registerCred(program);
  registerDevPki(program);
  registerExport(program);
  registerImport(program);
  registerMigrate(program);
  registerPolicy(program);
  registerQuery(program);
  registerServe(program);
}
