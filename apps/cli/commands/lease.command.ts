import type { Command } from 'commander';
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
      .description('release a lease; the account is quarantined for admin.releaseCooldownSeconds (default 24 h)')
      .argument('<pool>', 'pool id')
      .argument('<subjectKey>', 'lease name (see `lease list`)')
      .requiredOption('--reason <text>', 'why'),
  ).action(async (pool: string, subjectKey: string, flags: AdminApiFlags & { reason: string }) => {
    outputRecord(flags, await callAdmin(flags, 'POST', '/leases/release', { pool, subjectKey, reason: flags.reason }));
  });
}
