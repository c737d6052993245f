import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, outputRecord, query, withAdminApi } from './admin.command';

export function registerLease(program: Command): void {
  const lease = program.command('lease').description('pool leases through the admin API');
  withAdminApi(
    lease
      .command('list')
      .description('leases by pool, subject or account')
      .option('--pool <id>', 'pool id')
      .option('--subject <dn>', 'subject DN')
      .option('--subject-key <name>', 'gridmapdir lease name')
      .option('--username <name>', 'account')
      .option('--history', 'include released leases'),
  ).action(async (flags: AdminApiFlags & { pool?: string; subject?: string; subjectKey?: string; username?: string; history?: boolean }) => {
    const answer = await callAdmin(
      flags,
      'GET',
      `/leases${query({ pool: flags.pool, subject: flags.subject, subjectKey: flags.subjectKey, username: flags.username, history: flags.history ? 'true' : undefined })}`,
    );
    output(flags, answer, answer['leases'] as Record<string, unknown>[], ['pool', 'username', 'uid', 'subjectKey', 'createdAt', 'lastUsedAt', 'releasedAt', 'releasedBy']);
  });
  withAdminApi(
    lease
      .command('release')
      .description('release a lease by pool and lease name, or every lease of an account or a subject; each account is quarantined for admin.releaseCooldownSeconds (default 24 h)')
      .argument('[pool]', 'pool id (with subjectKey; with --username/--subject it narrows to one pool)')
      .argument('[subjectKey]', 'lease name (see `lease list`)')
      .option('--username <name>', 'every live lease of this account')
      .option('--subject <dn>', 'every live lease of this subject DN (either DN form)')
      .option('--group <name>', 'with --subject: only leases whose primary group is this')
      .option('--pool <id>', 'with --username/--subject: only this pool')
      .requiredOption('--reason <text>', 'why'),
  ).action(async (pool: string | undefined, subjectKey: string | undefined, flags: AdminApiFlags & { reason: string; username?: string; subject?: string; group?: string; pool?: string }) => {
    const byKey = subjectKey !== undefined;
    const chosen = [byKey, flags.username !== undefined, flags.subject !== undefined].filter(Boolean).length;
    if (chosen !== 1) throw new CliError('give exactly one of <pool> <subjectKey>, --username and --subject', 2);
    if (flags.group !== undefined && flags.subject === undefined) throw new CliError('--group needs --subject', 2);
    if (!byKey && pool !== undefined && flags.pool !== undefined && pool !== flags.pool) throw new CliError('two different pools given', 2);
    const body = byKey
      ? { pool, subjectKey, reason: flags.reason }
      : { pool: flags.pool ?? pool, username: flags.username, subject: flags.subject, group: flags.group, reason: flags.reason };
    const answer = await callAdmin(flags, 'POST', '/leases/release', body);
    if (Array.isArray(answer['released'])) output(flags, answer, answer['released'] as Record<string, unknown>[], ['poolId', 'username', 'subjectKey', 'lastUsedAt']);
    else outputRecord(flags, answer);
  });
  withAdminApi(
    lease
      .command('expire')
      .description('release leases unused for longer than --idle (default mapping.leaseExpiry.idle), as lcg-expiregridmapdir; the accounts are quarantined for admin.releaseCooldownSeconds')
      .option('--idle <duration>', 'idle time, e.g. 240h or 30d (at least 1h)')
      .option('--dry-run', 'only list the leases that would be released'),
  ).action(async (flags: AdminApiFlags & { idle?: string; dryRun?: boolean }) => {
    const answer = await callAdmin(flags, 'POST', '/leases/expire', { idle: flags.idle, dryRun: flags.dryRun === true });
    const leases = (answer['dryRun'] ? answer['wouldRelease'] : answer['released']) as Record<string, unknown>[];
    output(flags, answer, leases, ['poolId', 'username', 'subjectKey', 'lastUsedAt']);
  });
}
