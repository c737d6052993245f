import type { Command } from 'commander';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, query, withAdminApi } from './admin.command';

type Answer = Record<string, unknown>;
type Format = { json?: boolean; csv?: boolean };

/** Candidate columns of `audit who`: who, as which account, where from, and through which caller. */
const WHO_COLUMNS = ['decidedAt', 'subjectDn', 'fqans', 'username', 'uid', 'host', 'sourceAddress', 'sourcePort', 'callerDn', 'callerSerial', 'callerIssuer', 'dialect', 'id', 'tokenIssuer', 'tokenSubject'];
// Token columns last, so CSV readers that take columns by position keep working (docs/mapping-tokens.md §6).
const DECISION_COLUMNS = ['decidedAt', 'decision', 'dialect', 'subjectDn', 'fqans', 'username', 'uid', 'host', 'sourceAddress', 'callerDn', 'reasons', 'id', 'tokenIssuer', 'tokenSubject'];

/** A CSV cell (RFC 4180); a cell a spreadsheet would run as a formula gets a leading quote (CSIRT tickets get opened in one). */
function csvCell(v: unknown): string {
  let text = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly Answer[], columns: readonly string[]): string {
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\r\n')}\r\n`;
}

function format(flags: Format): 'json' | 'csv' | 'table' {
  if (flags.json && flags.csv) throw new CliError('give --json or --csv, not both', 2);
  return flags.json ? 'json' : flags.csv ? 'csv' : 'table';
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('forensics: who ran as a uid, decision records, the admin audit trail');
  withAdminApi(
    audit
      .command('who')
      .description('who ran as uid (or account) X at time T: every candidate on every host nearest first, or on --host only')
      .option('--uid <uid>', 'numeric uid')
      .option('--username <name>', 'account name (instead of or with --uid)')
      .option('--host <host>', 'only this host: a host name, a host or caller certificate DN (/CN=host/wn01.example.org), or a source address')
      .requiredOption('--at <time>', 'ISO 8601 time with zone, e.g. 2026-11-20T14:05Z')
      .option('--window <seconds>', 'search ± this many seconds around --at (default: the server setting, 3600)')
      .option('--csv', 'print the candidates as CSV (for a CSIRT ticket)'),
  ).action(async (flags: AdminApiFlags & Format & { uid?: string; username?: string; host?: string; at: string; window?: string }) => {
    if (flags.uid === undefined && flags.username === undefined) throw new CliError('give --uid or --username', 2);
    const how = format(flags);
    const answer = await callAdmin(flags, 'GET', `/audit/who${query({ uid: flags.uid, username: flags.username, host: flags.host, at: flags.at, windowSeconds: flags.window })}`);
    const records = answer['records'] as Answer[];
    if (how === 'json') {
      process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      return;
    }
    if (how === 'csv') {
      process.stdout.write(toCsv(records, WHO_COLUMNS));
      return;
    }
    const q = answer['question'] as Answer;
    const account = q['uid'] !== null ? `uid ${String(q['uid'])}` : `account ${String(q['username'])}`;
    process.stdout.write(`${account} on ${q['host'] === null ? 'any host' : String(q['host'])} at ${String(q['at'])} (±${String(q['windowSeconds'])} s)\n`);
    const token = answer['token'] as { issuer: string; subject: string } | null | undefined;
    process.stdout.write(`DN:       ${answer['dn'] === null ? (token ? '- (token identity)' : '(no one found)') : String(answer['dn'])}\n`);
    if (token) process.stdout.write(`token:    issuer ${token.issuer} subject ${token.subject}\n`);
    process.stdout.write(`FQANs:    ${(answer['fqans'] as string[]).join(' ') || '-'}\n`);
    process.stdout.write(`account:  ${answer['username'] === null ? '-' : String(answer['username'])}\n\ncandidates (Permit records), nearest first:\n`);
    output({}, answer, records, WHO_COLUMNS.filter((c) => c !== 'id' && c !== 'callerIssuer'));
    process.stdout.write('\nlease history of the account:\n');
    output({}, answer, answer['leases'] as Answer[], ['pool', 'username', 'subjectDn', 'subjectKey', 'createdAt', 'lastUsedAt', 'releasedAt']);
  });
  withAdminApi(
    audit
      .command('decisions')
      .description('decision records by DN, FQAN, account, host, caller, decision and time range; newest first, paged')
      .option('--dn <dn>', 'subject DN')
      .option('--subject <dn>', 'subject DN (older name of --dn)')
      .option('--fqan <fqan>', 'one of the subject FQANs')
      .option('--account <name|uid>', 'account: a numeric uid or a username')
      .option('--uid <uid>', 'uid')
      .option('--username <name>', 'account name')
      .option('--host <host>', 'a host name, a host or caller certificate DN, or a source address')
      .option('--caller <dn>', 'DN of the TLS caller (the PEP or client that asked)')
      .option('--decision <d>', 'Permit, Deny, NotApplicable or Indeterminate')
      .option('--from <time>', 'ISO 8601')
      .option('--to <time>', 'ISO 8601')
      .option('--limit <n>', 'records per page (default 100)')
      .option('--cursor <cursor>', 'continue after a previous page (its nextCursor)')
      .option('--all', 'follow the pages to the end')
      .option('--csv', 'print CSV (for a CSIRT ticket)'),
  ).action(async (flags: AdminApiFlags & Format & Record<string, string | boolean | undefined>) => {
    const how = format(flags);
    const text = (k: string): string | undefined => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
    const account = text('account');
    const numeric = account !== undefined && /^\d+$/.test(account);
    const params = {
      dn: text('dn'),
      subject: text('subject'),
      fqan: text('fqan'),
      uid: text('uid') ?? (numeric ? account : undefined),
      username: text('username') ?? (account !== undefined && !numeric ? account : undefined),
      host: text('host'),
      caller: text('caller'),
      decision: text('decision'),
      from: text('from'),
      to: text('to'),
      limit: text('limit'),
      cursor: text('cursor'),
    };
    const records: Answer[] = [];
    let answer: Answer;
    for (;;) {
      answer = await callAdmin(flags, 'GET', `/decisions${query(params)}`);
      records.push(...(answer['records'] as Answer[]));
      const next = answer['nextCursor'];
      if (!flags['all'] || typeof next !== 'string') break;
      params.cursor = next;
    }
    if (how === 'json') {
      process.stdout.write(`${JSON.stringify({ records, nextCursor: answer['nextCursor'] ?? null }, null, 2)}\n`);
      return;
    }
    if (how === 'csv') {
      process.stdout.write(toCsv(records, DECISION_COLUMNS));
      return;
    }
    output({}, answer, records, DECISION_COLUMNS.filter((c) => c !== 'id'));
    if (typeof answer['nextCursor'] === 'string') process.stdout.write(`\nmore: --cursor ${answer['nextCursor']}\n`);
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
