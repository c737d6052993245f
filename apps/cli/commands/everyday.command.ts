import type { Command } from 'commander';
import { ADMIN_ROLES } from '@gridauthz/persistence';
import { CliError } from '../cli-error';
import { type AdminApiFlags, callAdmin, output, outputRecord, withAdminApi } from './admin.command';

/** A command registered by another module (pool, rule), to hang the new verbs under it. */
function sub(program: Command, name: string): Command {
  const found = program.commands.find((c) => c.name() === name);
  if (!found) throw new Error(`register ${name} before the everyday verbs`);
  return found;
}

/**
 * Issue 17.8's verbs through the admin API: deletes (each audited by the server), and admin principals for sites
 * where nobody has a shell on the database (Kubernetes). `gridauthz map` is in map.command.ts.
 */
export function registerEveryday(program: Command): void {
  withAdminApi(
    sub(program, 'pool')
      .command('delete')
      .description('delete a pool and its accounts (operators); refused while rules or pilot roles use it, or users hold leases unless --force')
      .argument('<id>', 'pool id')
      .option('--force', 'delete even with live leases (their holders are mapped afresh at their next request)'),
  ).action(async (id: string, flags: AdminApiFlags & { force?: boolean }) => {
    const answer = await callAdmin(flags, 'DELETE', `/pools/${encodeURIComponent(id)}${flags.force ? '?force=true' : ''}`);
    if (flags.json) outputRecord(flags, answer);
    else {
      const before = answer['deleted'] as { pool: { accounts: unknown[] }; leases: unknown[] };
      process.stdout.write(`pool ${id} deleted (${before.pool.accounts.length} accounts; ${before.leases.length} lease records kept in the audit trail)\n`);
    }
  });
  withAdminApi(sub(program, 'pool').command('group-delete').description('delete a unix group (operators); refused while a rule gives it').argument('<name>', 'group name')).action(
    async (name: string, flags: AdminApiFlags) => {
      const answer = await callAdmin(flags, 'DELETE', `/groups/${encodeURIComponent(name)}`);
      if (flags.json) outputRecord(flags, answer);
      else process.stdout.write(`unix group ${name} deleted\n`);
    },
  );
  withAdminApi(sub(program, 'rule').command('pilot-role-delete').description('delete a pilot role (operators)').argument('<id>', 'role id')).action(
    async (id: string, flags: AdminApiFlags) => {
      const answer = await callAdmin(flags, 'DELETE', `/pilot-roles/${encodeURIComponent(id)}`);
      if (flags.json) outputRecord(flags, answer);
      else process.stdout.write(`pilot role ${id} deleted\n`);
    },
  );

  const principal = program.command('principal').description('admin principals through the admin API (security officers); `admin principal` writes the database directly');
  withAdminApi(principal.command('list').description('list admin principals')).action(async (flags: AdminApiFlags) => {
    const answer = await callAdmin(flags, 'GET', '/principals');
    output(flags, answer, answer['principals'] as Record<string, unknown>[], ['dn', 'role', 'createdAt', 'createdBy']);
  });
  withAdminApi(
    principal
      .command('add')
      .description('add an admin principal, or change its role')
      .argument('<dn>', 'certificate subject DN (slash or RFC 2253 form)')
      .requiredOption('--role <role>', `one of ${ADMIN_ROLES.join(', ')}`),
  ).action(async (dn: string, flags: AdminApiFlags & { role: string }) => {
    if (!(ADMIN_ROLES as readonly string[]).includes(flags.role)) throw new CliError(`--role must be one of ${ADMIN_ROLES.join(', ')}`, 2);
    const answer = await callAdmin(flags, 'POST', '/principals', { dn, role: flags.role });
    if (flags.json) outputRecord(flags, answer);
    else process.stdout.write(answer['before'] ? `${String(answer['dn'])}: role ${String(answer['before'])} → ${String(answer['role'])}\n` : `${String(answer['dn'])} added as ${String(answer['role'])}\n`);
  });
  withAdminApi(principal.command('remove').description('remove an admin principal (its tokens go with it)').argument('<dn>', 'certificate subject DN')).action(
    async (dn: string, flags: AdminApiFlags) => {
      const answer = await callAdmin(flags, 'POST', '/principals/remove', { dn });
      if (flags.json) outputRecord(flags, answer);
      else process.stdout.write(`${String(answer['removed'])} removed\n`);
    },
  );
}
