import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, outputRecord, query, withAdminApi } from './admin.command';

const COLUMNS = ['id', 'kind', 'value', 'state', 'reason', 'author', 'createdAt', 'expiresAt', 'issuer'];
const KINDS = ['dn', 'fqan', 'ca', 'vo'];

type TokenBanFlags = { issuer?: string; subject?: string; tokenGroup?: string };

/**
 * What a `ban add` names: `<kind> <value>` for X.509 bans, or the token flags (docs/mapping-tokens.md):
 * --issuer ISS (every token of the issuer), --issuer ISS --subject SUB (one token identity),
 * --issuer ISS --token-group /group (one group of the issuer).
 */
export function banTarget(kind: string | undefined, value: string | undefined, flags: TokenBanFlags): { kind: string; value: string; issuer?: string } {
  if (flags.issuer === undefined) {
    if (flags.subject !== undefined || flags.tokenGroup !== undefined) throw new CliError('--subject and --token-group need --issuer (a token subject or group is unique only within its issuer)', 2);
    if (kind === undefined || value === undefined) throw new CliError(`give <kind> <value> (${KINDS.join(', ')}) or --issuer ISS [--subject SUB | --token-group GROUP]`, 2);
    if (!KINDS.includes(kind)) throw new CliError(`kind must be ${KINDS.join(', ')} (token bans: --issuer ISS [--subject SUB | --token-group GROUP])`, 2);
    return { kind, value };
  }
  if (kind !== undefined) throw new CliError('give either <kind> <value> or --issuer, not both', 2);
  if (flags.subject !== undefined && flags.tokenGroup !== undefined) throw new CliError('give --subject or --token-group, not both', 2);
  if (flags.subject !== undefined) return { kind: 'token', issuer: flags.issuer, value: flags.subject };
  if (flags.tokenGroup !== undefined) return { kind: 'token-group', issuer: flags.issuer, value: flags.tokenGroup };
  return { kind: 'issuer', value: flags.issuer };
}

export function registerBan(program: Command): void {
  const ban = program.command('ban').description('ban DNs, FQANs, CAs, VOs and token issuers, identities and groups through the admin API (security officers)');
  withAdminApi(
    ban
      .command('add')
      .description('ban a subject; running servers deny it from the next decision')
      .argument('[kind]', 'dn, fqan, ca or vo (token bans: the --issuer flags instead)')
      .argument('[value]', 'the DN, FQAN pattern, CA DN or VO name')
      .option('--issuer <iss>', 'ban tokens of this issuer (exact iss); alone: every token it issued')
      .option('--subject <sub>', 'with --issuer: only this token subject (exact sub)')
      .option('--token-group <group>', 'with --issuer: every token carrying this wlcg.groups entry, e.g. /atlas')
      .requiredOption('--reason <text>', 'why (kept with the ban and in the audit trail)')
      .option('--expires <time>', 'ISO 8601 time the ban ends, e.g. 2026-12-01T00:00Z (default: until lifted)'),
  ).action(async (kind: string | undefined, value: string | undefined, flags: AdminApiFlags & TokenBanFlags & { reason: string; expires?: string }) => {
    const target = banTarget(kind, value, flags);
    const answer = await callAdmin(flags, 'POST', '/bans', { kind: target.kind, issuer: target.issuer, value: target.value, reason: flags.reason, expiresAt: flags.expires });
    outputRecord(flags, answer);
  });
  withAdminApi(
    ban
      .command('list')
      .description('list bans')
      .option('--state <state>', 'active, expired, lifted or all', 'active')
      .option('--kind <kind>', 'dn, fqan, ca, vo, issuer, token or token-group')
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
