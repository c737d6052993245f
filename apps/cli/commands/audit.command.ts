import type { Command } from 'commander';
import { type AdminApiFlags, callAdmin, output, query, withAdminApi } from './admin.command';

type Answer = Record<string, unknown>;

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('forensics: who ran as a uid, decision records, the admin audit trail');
  withAdminApi(
    audit
      .command('who')
      .description('who ran as uid X on host Y at time T: DN, FQANs, nearby decision records, lease history')
      .requiredOption('--uid <uid>', 'numeric uid')
      .requiredOption('--host <host>', 'worker node or CE host name')
      .requiredOption('--at <time>', 'ISO 8601 time with zone, e.g. 2026-11-20T14:05Z')
      .option('--window <seconds>', 'search ± this many seconds around --at (default: the server setting, 3600)'),
  ).action(async (flags: AdminApiFlags & { uid: string; host: string; at: string; window?: string }) => {
    const answer = await callAdmin(flags, 'GET', `/audit/who${query({ uid: flags.uid, host: flags.host, at: flags.at, windowSeconds: flags.window })}`);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return;
    }
    const q = answer['question'] as Answer;
    process.stdout.write(`uid ${String(q['uid'])} on ${String(q['host'])} at ${String(q['at'])} (±${String(q['windowSeconds'])} s)\n`);
    process.stdout.write(`DN:       ${answer['dn'] === null ? '(no one found)' : String(answer['dn'])}\n`);
    process.stdout.write(`FQANs:    ${(answer['fqans'] as string[]).join(' ') || '-'}\n`);
    process.stdout.write(`account:  ${answer['username'] === null ? '-' : String(answer['username'])}\n\nPermit records, nearest first:\n`);
    output({}, answer, answer['records'] as Answer[], ['decidedAt', 'subjectDn', 'username', 'callerDn', 'id']);
    process.stdout.write('\nlease history of the account:\n');
    output({}, answer, answer['leases'] as Answer[], ['pool', 'username', 'subjectDn', 'subjectKey', 'createdAt', 'lastUsedAt', 'releasedAt']);
  });
  withAdminApi(
    audit
      .command('decisions')
      .description('decision records by subject, uid, username, host and time range')
      .option('--subject <dn>', 'subject DN')
      .option('--uid <uid>', 'uid')
      .option('--username <name>', 'account')
      .option('--host <host>', 'host')
      .option('--decision <d>', 'Permit, Deny, NotApplicable or Indeterminate')
      .option('--from <time>', 'ISO 8601')
      .option('--to <time>', 'ISO 8601')
      .option('--limit <n>', 'at most this many (default 100)'),
  ).action(async (flags: AdminApiFlags & Record<string, string | undefined>) => {
    const answer = await callAdmin(
      flags,
      'GET',
      `/decisions${query({ subject: flags['subject'], uid: flags['uid'], username: flags['username'], host: flags['host'], decision: flags['decision'], from: flags['from'], to: flags['to'], limit: flags['limit'] })}`,
    );
    output(flags, answer, answer['records'] as Answer[], ['decidedAt', 'decision', 'host', 'subjectDn', 'username', 'uid', 'reasons']);
  });
  withAdminApi(
    audit
      .command('log')
      .description('the admin audit trail (who changed what, before and after)')
      .option('--action <action>', 'e.g. ban.add, lease.release')
      .option('--target <target>', 'e.g. a ban id')
      .option('--actor <who>', 'admin DN (api), user@host (direct), database role (database)')
      .option('--channel <channel>', 'api, direct (CLI on the database), database (SQL by hand) or system')
      .option('--action-prefix <prefix>', 'e.g. ban. or import.')
      .option('--from <time>', 'ISO 8601')
      .option('--to <time>', 'ISO 8601')
      .option('--limit <n>', 'at most this many'),
  ).action(async (flags: AdminApiFlags & Record<string, string | undefined>) => {
    const answer = await callAdmin(
      flags,
      'GET',
      `/audit/log${query({ action: flags['action'], actionPrefix: flags['actionPrefix'], target: flags['target'], actor: flags['actor'], channel: flags['channel'], from: flags['from'], to: flags['to'], limit: flags['limit'] })}`,
    );
    output(flags, answer, answer['entries'] as Answer[], ['at', 'channel', 'actorDn', 'actorRole', 'credential', 'action', 'target', 'before', 'after']);
  });
}
