import type { Command } from 'commander';
import { registerDevPki } from './dev-pki.command';
import { registerMigrate } from './migrate.command';
import { registerQuery } from './query.command';
import { registerServe } from './serve.command';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  registerDevPki(program);
  registerMigrate(program);
  registerQuery(program);
  registerServe(program);
}
