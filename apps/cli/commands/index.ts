import type { Command } from 'commander';
import { registerAdmin } from './admin.command';
import { registerAudit } from './audit.command';
import { registerBan } from './ban.command';
import { registerCaller } from './caller.command';
import { registerCred } from './cred.command';
import { registerDevPki } from './dev-pki.command';
import { registerLease } from './lease.command';
import { registerExport } from './export.command';
import { registerImport } from './import.command';
import { registerMigrate } from './migrate.command';
import { registerPolicy } from './policy.command';
import { registerPool } from './pool.command';
import { registerQuery } from './query.command';
import { registerRule } from './rule.command';
import { registerServe } from './serve.command';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  registerAdmin(program);
  registerAudit(program);
  registerBan(program);
  registerCaller(program);
  registerCred(program);
  registerDevPki(program);
  registerLease(program);
  registerExport(program);
  registerImport(program);
  registerMigrate(program);
  registerPolicy(program);
  registerPool(program);
  registerQuery(program);
  registerRule(program);
  registerServe(program);
}
