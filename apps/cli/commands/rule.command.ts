import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, outputRecord, printWarnings, withAdminApi } from './admin.command';

const FORCE_HELP = 'make the change even if it maps statically onto an account of a leased pool (refused otherwise)';
const forced = (flags: { force?: boolean }): string => (flags.force ? '?force=true' : '');

type RuleRow = { id: string; subject: { kind: string; pattern: string; issuer?: string }; account?: { kind: string; poolId?: string; username?: string }; groups?: string[] };

const rows = (rules: RuleRow[]) =>
  rules.map((r, i) => ({
    position: i,
    id: r.id,
    subject: r.subject.issuer !== undefined ? `${r.subject.kind} ${r.subject.pattern} (issuer ${r.subject.issuer})` : `${r.subject.kind} ${r.subject.pattern}`,
    target: r.account ? (r.account.kind === 'pool' ? `.${r.account.poolId ?? ''}` : r.account.username) : '-',
    groups: r.groups ?? [],
  }));

type RuleSubjectFlags = { dn?: string; fqan?: string; issuer?: string; subject?: string; tokenGroup?: string };

/**
 * What a rule matches: --dn, --fqan, or a token form (docs/mapping-tokens.md): --issuer ISS --subject SUB,
 * --issuer ISS --token-group GROUP, or --issuer ISS alone (every token of the issuer).
 */
export function ruleSubject(flags: RuleSubjectFlags): { kind: string; pattern: string; issuer?: string } {
  const token = flags.subject !== undefined || flags.tokenGroup !== undefined;
  const forms = [flags.dn, flags.fqan, flags.subject, flags.tokenGroup, !token ? flags.issuer : undefined].filter((x) => x !== undefined).length;
  if (forms !== 1) throw new CliError('give exactly one of --dn, --fqan, --issuer ISS [--subject SUB | --token-group GROUP]', 2);
  if (token && flags.issuer === undefined) throw new CliError('--subject and --token-group need --issuer (a token subject or group is unique only within its issuer)', 2);
  if (flags.issuer !== undefined && !token) return { kind: 'issuer', pattern: flags.issuer };
  if (flags.dn !== undefined) return { kind: 'dn', pattern: flags.dn };
  if (flags.fqan !== undefined) return { kind: 'fqan', pattern: flags.fqan };
  if (flags.subject !== undefined) return { kind: 'token', issuer: flags.issuer as string, pattern: flags.subject };
  return { kind: 'token-group', issuer: flags.issuer as string, pattern: flags.tokenGroup as string };
}

export function registerRule(program: Command): void {
  const rule = program.command('rule').description('mapping rules and pilot roles through the admin API (operators change them)');
  withAdminApi(rule.command('list').description('the ordered mapping rules (first match wins)')).action(async (flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'GET', '/rules');
    output(flags, answer, rows(answer['rules'] as RuleRow[]), ['position', 'id', 'subject', 'target', 'groups']);
  });
  withAdminApi(
    rule
      .command('add')
      .description('insert a rule')
      .argument('<id>', 'rule id')
      .option('--dn <pattern>', 'DN pattern')
      .option('--fqan <pattern>', 'FQAN pattern')
      .option('--issuer <iss>', 'token rules: the issuer (exact iss); alone: every token of the issuer, else with --subject or --token-group')
      .option('--subject <sub>', 'with --issuer: one token identity (exact sub), e.g. to a static --account')
      .option('--token-group <group>', 'with --issuer: a wlcg.groups entry, e.g. /atlas, usually to a --pool with --group')
      .option('--pool <id>', 'lease from this pool')
      .option('--account <username>', 'map to this static account')
      .option('--group <name...>', 'unix groups')
      .option('--position <n>', 'insert at this position (default: last)')
      .option('--force', FORCE_HELP),
  ).action(async (id: string, flags: AdminApiFlags & RuleSubjectFlags & { pool?: string; account?: string; group?: string[]; position?: string; force?: boolean }) => {
    if (flags.pool !== undefined && flags.account !== undefined) throw new CliError('give --pool or --account, not both', 2);
    const body = {
      rule: {
        id,
        subject: ruleSubject(flags),
        ...(flags.pool !== undefined ? { account: { kind: 'pool', poolId: flags.pool } } : {}),
        ...(flags.account !== undefined ? { account: { kind: 'static', username: flags.account } } : {}),
        ...(flags.group !== undefined ? { groups: flags.group } : {}),
      },
      ...(flags.position !== undefined ? { position: Number(flags.position) } : {}),
    };
    const answer = await callAdmin(flags, 'POST', `/rules${forced(flags)}`, body);
    printWarnings(answer);
    output(flags, answer, rows(answer['rules'] as RuleRow[]), ['position', 'id', 'subject', 'target', 'groups']);
  });
  withAdminApi(rule.command('remove').description('remove a rule').argument('<id>', 'rule id')).action(async (id: string, flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'DELETE', `/rules/${encodeURIComponent(id)}`);
    printWarnings(answer);
    output(flags, answer, rows(answer['rules'] as RuleRow[]), ['position', 'id', 'subject', 'target', 'groups']);
  });
  withAdminApi(rule.command('replace').description('replace the whole ordered list from a JSON file ({"rules":[...]})').argument('<file>', 'JSON file').option('--force', FORCE_HELP)).action(
    async (file: string, flags: AdminApiFlags & { force?: boolean }) => {
      let body: unknown;
      try {
        body = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      } catch (err) {
        throw new CliError(`cannot read JSON from ${file}: ${(err as Error).message}`, 1);
      }
      const answer = await callAdmin(flags, 'PUT', `/rules${forced(flags)}`, body);
      printWarnings(answer);
      output(flags, answer, rows(answer['rules'] as RuleRow[]), ['position', 'id', 'subject', 'target', 'groups']);
    },
  );
  withAdminApi(rule.command('pilot-roles').description('pilot roles')).action(async (flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'GET', '/pilot-roles');
    output(flags, answer, answer['pilotRoles'] as Record<string, unknown>[], ['id', 'fqanPattern', 'poolId']);
  });
  withAdminApi(
    rule
      .command('pilot-role-set')
      .description('create or change a pilot role')
      .argument('<id>', 'role id')
      .requiredOption('--fqan <pattern>', 'FQAN pattern of the pilot credential')
      .requiredOption('--pool <id>', 'pilot pool'),
  ).action(async (id: string, flags: AdminApiFlags & { fqan: string; pool: string }) => {
    outputRecord(flags, await callAdmin(flags, 'PUT', `/pilot-roles/${encodeURIComponent(id)}`, { fqanPattern: flags.fqan, poolId: flags.pool }));
  });
}
