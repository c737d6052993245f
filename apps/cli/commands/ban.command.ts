import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, outputRecord, query, withAdminApi } from './admin.command';

const COLUMNS = ['id', 'kind', 'value', 'state', 'reason', 'author', 'createdAt', 'expiresAt'];

export function registerBan(program: Command): void {
  const ban = program.command('ban').description('ban DNs, FQANs, CAs and VOs through the admin API (security officers)');
  withAdminApi(
    ban
      .command('add')
      .description('ban a subject; running servers deny it from the next decision')
      .argument('<kind>', 'dn, fqan, ca or vo')
      .argument('<value>', 'the DN, FQAN pattern, CA DN or VO name')
      .requiredOption('--reason <text>', 'why (kept with the ban and in the audit trail)')
      .option('--expires <time>', 'ISO 8601 time the ban ends, e.g. 2026-12-01T00:00Z (default: until lifted)'),
  ).action(async (kind: string, value: string, flags: AdminApiFlags & { reason: string; expires?: string }) => {
    if (!['dn', 'fqan', 'ca', 'vo'].includes(kind)) throw new CliError('kind must be dn, fqan, ca or vo', 2);
    const answer = await callAdmin(flags, 'POST', '/bans', { kind, value, reason: flags.reason, ...(flags.expires !== undefined ? { expiresAt: flags.expires } : {}) });
    outputRecord(flags, answer);
  });
  withAdminApi(
    ban
      .command('list')
      .description('list bans')
      .option('--state <state>', 'active, expired, lifted or all', 'active')
      .option('--kind <kind>', 'dn, fqan, ca or vo')
      .option('--value <text>', 'substring of the banned value'),
  ).action(async (flags: AdminApiFlags & { state: string; kind?: string; value?: string }) => {
    const answer = await callAdmin(flags, 'GET', `/bans${query({ state: flags.state, kind: flags.kind, value: flags.value })}`);
    output(flags, answer, answer['bans'] as Record<string, unknown>[], flags.state === 'lifted' || flags.state === 'all' ? [...COLUMNS, 'liftedBy', 'liftReason'] : COLUMNS);
  });
  withAdminApi(ban.command('lift').description('lift a ban (its history is kept)').argument('<id>', 'ban id').requiredOption('--reason <text>', 'why')).action(
    async (id: string, flags: AdminApiFlags & { reason: string }) => {
      outputRecord(flags, await callAdmin(flags, 'POST', `/bans/${encodeURIComponent(id)}/lift`, { reason: flags.reason }));
    },
  );
}
