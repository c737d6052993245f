import 'reflect-metadata';
import cluster from 'node:cluster';
import { WORKER_START_FAILED } from '../server/cluster/supervisor';
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands';
import { CliError } from './cli-error';

const program = new Command('gridauthz')
  .description('gridauthz: site-central grid authorization service (SAML2-XACML2 and PRIMA PDP, account mapping)')
  .showHelpAfterError()
  .exitOverride();
registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
    return;
  }
  if (err instanceof CliError) {
    process.exitCode = err.exitCode;
    if (err.exitNow && cluster.isWorker && process.send) {
      // The supervisor prints the cause once for all workers and exits with this code.
      process.send({ type: WORKER_START_FAILED, message: err.message, code: err.exitCode }, () => process.exit(err.exitCode));
      return;
    }
    process.stderr.write(`gridauthz: ${err.message}\n`);
    if (err.exitNow) process.exit(err.exitCode);
    return;
  }
  process.stderr.write(`gridauthz: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
});
