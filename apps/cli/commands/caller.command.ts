import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Dn } from '@gridauthz/domain';
import { CALLER_ROLES, type CallerRole, parseCallerRole, parseUserWhiteList } from '@gridauthz/mapping';
import { type AdminActor, CallerAdministration, localActor, PostgresMappingConfigStore } from '@gridauthz/persistence';
import { ARGUS_SETTINGS } from '@gridauthz/mapping';
import { configCallers } from '../../server/site/site-runtime';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';
import { type AdminApiFlags, callAdmin, output, outputRecord, withAdminApi } from './admin.command';
import { openDatabase } from './open-database';

/** The CLI acts directly on the database (like `admin principal`), so a site can be set up before `serve`. */
/** Direct database writes are audited as the local OS user on the `direct` channel, like every other CLI write. */
export function cliActor(): AdminActor {
  return localActor();
}

function parseDn(text: string): Dn {
  try {
    return Dn.parse(text);
  } catch (err) {
    throw new CliError(`"${text}" is not a DN: ${(err as Error).message}`, 2);
  }
}

function role(text: string | undefined, required: boolean): CallerRole | undefined {
  if (text === undefined) {
    if (required) throw new CliError(`--role is required: ${CALLER_ROLES.join(' or ')}`, 2);
    return undefined;
  }
  const r = parseCallerRole(text);
  if (!r) throw new CliError(`--role must be ${CALLER_ROLES.join(' or ')}, got ${JSON.stringify(text)}`, 2);
  return r;
}

type ApiOrDbFlags = ConfigFlags & AdminApiFlags & { api?: boolean };

/**
 * Direct database by default (works before `serve`, audited as `cli:<login>`); `--api` goes through a running
 * server's admin API instead (operator role; needed with the embedded database while the server holds it).
 */
const withApiOption = (command: Command): Command =>
  withAdminApi(addConfigOption(command.option('--api', "through a running server's admin API (--url, --cert/--proxy/--token) instead of the database")));

/**
 * `gridauthz caller add|list|remove` (docs/callers.md): who may ask what. pilot: may ask for a payload's mapping
 * with the payload's chain (glexec); asserter: may assert DN and FQANs without a chain (CEs, ARC, Argus PEPd).
 */
export function registerCaller(program: Command): void {
  const caller = program.command('caller').description('callers: pilots (glexec) and trusted asserters (CEs, ARC, Argus PEPd) (direct database)');

  withApiOption(
    caller
      .command('add')
      .description('give a caller DN a role; running servers apply it within a second')
      .argument('<dn>', 'certificate subject DN of the caller (slash or RFC 2253 form)')
      .requiredOption('--role <role>', `${CALLER_ROLES.join(' or ')}`)
      .option('--comment <text>', 'why (kept with the caller and in the audit trail)'),
  ).action(async (dnText: string, flags: ApiOrDbFlags & { role: string; comment?: string }) => {
    const r = role(flags.role, true) as CallerRole;
    const dn = parseDn(dnText);
    if (flags.api) {
      outputRecord(flags, await callAdmin(flags, 'POST', '/callers', { dn: dn.toSlash(), role: r, ...(flags.comment !== undefined ? { comment: flags.comment } : {}) }));
      return;
    }
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const { before, after } = await new CallerAdministration(db).add(dn, r, flags.comment, cliActor());
      process.stdout.write(before ? `${after.dn} already has role ${r} on ${target}\n` : `${after.dn} added as ${r} on ${target}\n`);
    } finally {
      await db.close();
    }
  });

  withApiOption(caller.command('list').description('list callers: the database, the configuration (pdp.callers, pdp.trustedAsserters) and legacy payload callers')).action(
    async (flags: ApiOrDbFlags) => {
      if (flags.api) {
        const answer = await callAdmin(flags, 'GET', '/callers');
        output(flags, answer, answer['callers'] as Record<string, unknown>[], ['dn', 'role', 'source', 'comment']);
        return;
      }
      const config = configFor(flags);
      const { db } = await openDatabase(config);
      try {
        const stored = (await new CallerAdministration(db).list()).map((c) => ({ dn: c.dn, role: c.role, source: 'database', comment: c.comment, createdBy: c.createdBy, createdAt: c.createdAt.toISOString() }));
        const fromConfig = configCallers(config).map((c) => ({ dn: c.dn.toSlash(), role: c.role, source: 'config', comment: c.comment ?? '', createdBy: null, createdAt: null }));
        const legacy = (await new PostgresMappingConfigStore(db, ARGUS_SETTINGS).load()).payloadCallers.map((c) => ({
          dn: c.dn,
          role: 'pilot',
          source: 'legacy',
          comment: `payload_caller ${c.id} (${c.kind})`,
          createdBy: null,
          createdAt: null,
        }));
        const callers = [...stored, ...fromConfig, ...legacy];
        output(flags, { callers }, callers, ['dn', 'role', 'source', 'comment']);
      } finally {
        await db.close();
      }
    },
  );

  withApiOption(
    caller
      .command('remove')
      .description("remove a caller's role, or every role of the DN")
      .argument('<dn>', 'certificate subject DN')
      .option('--role <role>', `only this role (${CALLER_ROLES.join(' or ')})`),
  ).action(async (dnText: string, flags: ApiOrDbFlags & { role?: string }) => {
    const r = role(flags.role, false);
    const dn = parseDn(dnText);
    if (flags.api) {
      const answer = await callAdmin(flags, 'POST', '/callers/remove', { dn: dn.toSlash(), ...(r ? { role: r } : {}) });
      output(flags, answer, answer['removed'] as Record<string, unknown>[], ['dn', 'role']);
      return;
    }
    const { db } = await openDatabase(configFor(flags));
    try {
      const removed = await new CallerAdministration(db).remove(dn, r, cliActor());
      if (removed.length === 0) throw new CliError(`${dn.toSlash()} has ${r ? `no role ${r}` : 'no role'} in the database (configuration entries are changed in the configuration)`, 1);
      for (const c of removed) process.stdout.write(`${c.dn}: role ${c.role} removed\n`);
    } finally {
      await db.close();
    }
  });
}

/** `gridauthz import callers <file>`: a gLExec user_white_list style file (docs/callers.md), all or nothing. */
export function registerCallerImport(importCommand: Command): void {
  addConfigOption(
    importCommand
      .command('callers <file>')
      .description("import caller DNs from a gLExec user_white_list style file (glexec.conf's user_white_list, or one DN a line)")
      .option('--role <role>', `role given to every DN (${CALLER_ROLES.join(' or ')})`, 'pilot')
      .option('--comment <text>', 'kept with each new caller (default: the file name)')
      .option('--dry-run', 'check and count everything, then roll back'),
  ).action(async (file: string, flags: ConfigFlags & { role: string; comment?: string; dryRun?: boolean }) => {
    const r = role(flags.role, true) as CallerRole;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 66);
    }
    const items = parseUserWhiteList(text);
    const problems = items.flatMap((i) => ('problem' in i ? [`${file}:${i.line}: ${i.problem}`] : []));
    if (problems.length > 0) {
      for (const p of problems) process.stderr.write(`${p}\n`);
      throw new CliError(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}; nothing imported`, 1);
    }
    const dns = items.flatMap((i) => ('dn' in i ? [i.dn] : []));
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const counts = await new CallerAdministration(db).import(dns, r, { comment: flags.comment ?? `imported from ${file}`, source: file, ...(flags.dryRun ? { dryRun: true } : {}) }, cliActor());
      process.stdout.write(`callers: ${counts.inserted} inserted, 0 updated, ${counts.unchanged} unchanged\n`);
      process.stdout.write(flags.dryRun ? `dry run: nothing written to ${target}\n` : `imported into ${target}\n`);
    } finally {
      await db.close();
    }
  });
}
