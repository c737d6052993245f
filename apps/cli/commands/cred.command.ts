import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { IgtfTrustStore, inspectCredential, renderInspectReport } from '@gridauthz/credentials';
import { silentLog } from '@gridauthz/domain';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';

export function registerCred(program: Command): void {
  const cred = program.command('cred').description('credentials: inspect a certificate or proxy chain');
  addConfigOption(
    cred
      .command('inspect')
      .description('validate a PEM certificate or proxy file against the CA directory and vomsdir; exit 0 valid, 1 invalid')
      .argument('<pem-file>', 'certificate, proxy file (voms-proxy-init layout) or chain')
      .option('--capath <dir>', 'CA directory (default: trust.caDir)')
      .option('--vomsdir <dir>', 'vomsdir (default: trust.vomsDir)')
      .option('--json', 'print the report as JSON'),
  ).action(async (file: string, flags: ConfigFlags & { capath?: string; vomsdir?: string; json?: boolean }) => {
    const config = configFor(flags);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
    }
    let store: IgtfTrustStore;
    try {
      store = await IgtfTrustStore.open({ caDir: flags.capath ?? config.trust.caDir, vomsDir: flags.vomsdir ?? config.trust.vomsDir, log: silentLog });
    } catch (err) {
      throw new CliError(`cannot load the trust store: ${(err as Error).message}`, 2);
    }
    try {
      // The same verdict as the server's: slash-ambiguous names refused unless the site allows them (docs/identities.md).
      const report = inspectCredential(text, store, new Date(), { ambiguousDns: config.trust.allowAmbiguousDns ? 'allow' : 'refuse' });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderInspectReport(report)}\n`);
      process.exitCode = report.verdict === 'valid' ? 0 : 1;
    } finally {
      store.close();
    }
  });
}
