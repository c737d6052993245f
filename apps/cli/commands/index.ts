import type { Command } from 'commander';
import { SERVICE_VERSION } from '../../server/version';
import { setVerbose } from '../cli-verbose';
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
import { registerMap } from './map.command';
import { registerEveryday } from './everyday.command';
import { registerPolicy } from './policy.command';
import { registerPool } from './pool.command';
import { registerQuery } from './query.command';
import { registerRule } from './rule.command';
import { registerServe } from './serve.command';
import { registerIssuer, registerLink } from './token-admin.command';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  program
    .version(SERVICE_VERSION, '--version', 'print the gridauthz version and exit')
    .option('--verbose', 'say on stderr how the command reached its database (embedded in-process, via the running server, PostgreSQL)')
    .hook('preAction', (root) => setVerbose(Boolean(root.opts<{ verbose?: boolean }>().verbose)));
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
  registerMap(program);
  registerPolicy(program);
  registerPool(program);
  registerQuery(program);
  registerRule(program);
  registerServe(program);
  registerIssuer(program);
  registerLink(program);
  registerEveryday(program); // after pool and rule: it adds verbs under them
}
