import { resolve } from 'node:path';
import type { Command } from 'commander';
import { generateDevPki } from '@gridauthz/dev-pki';

export function registerDevPki(program: Command): void {
  program
    .command('dev-pki')
    .description('write a development/test PKI: an IGTF-style CA directory with CRL, a host certificate, users, proxies, VOMS ACs and a vomsdir')
    .argument('<dir>', 'directory to write (created; existing files of the PKI are replaced)')
    .option('--host <name...>', 'DNS names for the host certificate', ['localhost'])
    .action(async (dir: string, flags: { host: string[] }) => {
      const target = resolve(dir);
      const manifest = await generateDevPki({ dir: target, hostNames: flags.host });
      const lines = [
        `development PKI written to ${target} (never use it in production: its keys are not protected)`,
        `  CA directory   ${resolve(target, manifest.caDir)}   (${manifest.ca.subject})`,
        `  vomsdir        ${resolve(target, manifest.vomsDir)}`,
        `  host           ${resolve(target, manifest.host.certFile)}   (${manifest.host.subject})`,
        `  users          ${Object.keys(manifest.users).join(', ')}`,
        `  proxies        ${Object.keys(manifest.proxies).length} files under ${resolve(target, 'proxies')}`,
        `  manifest       ${resolve(target, 'manifest.json')}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
