import 'reflect-metadata';
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
    process.stderr.write(`gridauthz: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  process.stderr.write(`gridauthz: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 70;
});
