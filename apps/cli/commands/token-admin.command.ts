import type { Command } from 'commander';
import { Dn } from '@gridauthz/domain';
import { localActor, TokenAdministration } from '@gridauthz/persistence';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';
import { type AdminApiFlags, callAdmin, output, outputRecord, withAdminApi } from './admin.command';
import { openDatabase } from './open-database';

type ApiOrDbFlags = ConfigFlags & AdminApiFlags & { api?: boolean };

/** Direct database by default (audited as the local OS user, `direct` channel); `--api` through a running server. */
const withApiOption = (command: Command): Command =>
  withAdminApi(addConfigOption(command.option('--api', "through a running server's admin API (--url, --cert/--proxy/--token) instead of the database")));

function exact(name: string, text: string): string {
  if (text === '' || text !== text.trim()) throw new CliError(`${name} ${JSON.stringify(text)}: an exact claim value, without surrounding white space`, 2);
  return text;
}

function parseDn(text: string): Dn {
  try {
    return Dn.parse(text);
  } catch (err) {
    throw new CliError(`"${text}" is not a DN: ${(err as Error).message}`, 2);
  }
}

/**
 * `gridauthz issuer add|list|remove` (docs/mapping-tokens.md): token issuers trusted at run time, beside the
 * settings' tokens.issuers (which win for an issuer in both). Running servers apply a change within a second.
 */
export function registerIssuer(program: Command): void {
  const issuer = program.command('issuer').description('trusted token issuers (WLCG JWT, SciTokens) added at run time (direct database)');

  withApiOption(
    issuer
      .command('add')
      .description('trust a token issuer; running servers apply it within a second')
      .argument('<iss>', "the issuer's exact iss claim, e.g. https://atlas-auth.web.cern.ch/")
      .option('--jwks-url <url>', 'HTTPS URL of its JWKS (fetched and cached as the WLCG profile advises)')
      .option('--jwks-file <path>', 'absolute path of a JWKS file (re-read like a URL)')
      .option('--comment <text>', 'why (kept with the issuer and in the audit trail)'),
  ).action(async (iss: string, flags: ApiOrDbFlags & { jwksUrl?: string; jwksFile?: string; comment?: string }) => {
    exact('issuer', iss);
    if ((flags.jwksUrl === undefined) === (flags.jwksFile === undefined)) throw new CliError('give exactly one of --jwks-url and --jwks-file', 2);
    if (flags.jwksUrl !== undefined && !/^https:\/\//.test(flags.jwksUrl)) throw new CliError('--jwks-url must be an https URL (the WLCG profile requires TLS)', 2);
    if (flags.jwksFile !== undefined && !flags.jwksFile.startsWith('/')) throw new CliError('--jwks-file must be an absolute path (the server reads it)', 2);
    const jwks = flags.jwksUrl !== undefined ? { url: flags.jwksUrl } : { file: flags.jwksFile as string };
    if (flags.api) {
      const body = { issuer: iss, ...('url' in jwks ? { jwksUrl: jwks.url } : { jwksFile: jwks.file }), ...(flags.comment !== undefined ? { comment: flags.comment } : {}) };
      outputRecord(flags, await callAdmin(flags, 'POST', '/issuers', body));
      return;
    }
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const { before } = await new TokenAdministration(db).addIssuer(iss, jwks, flags.comment, localActor());
      process.stdout.write(before ? `issuer ${iss} updated on ${target}\n` : `issuer ${iss} added on ${target}\n`);
    } finally {
      await db.close();
    }
  });

  withApiOption(issuer.command('list').description('trusted issuers: the configuration (tokens.issuers) and the database')).action(async (flags: ApiOrDbFlags) => {
    const columns = ['issuer', 'source', 'jwksUrl', 'jwksFile', 'comment'];
    if (flags.api) {
      const answer = await callAdmin(flags, 'GET', '/issuers');
      output(flags, answer, answer['issuers'] as Record<string, unknown>[], [...columns, 'inForce']);
      return;
    }
    const config = configFor(flags);
    const { db } = await openDatabase(config);
    try {
      const fromConfig = config.tokens.issuers.map((i) => ({ issuer: i.issuer, source: 'config', jwksUrl: i.jwksUrl ?? null, jwksFile: i.jwksFile ?? null, comment: 'tokens.issuers' }));
      const configured = new Set(fromConfig.map((i) => i.issuer));
      const stored = (await new TokenAdministration(db).issuers()).map((i) => ({
        issuer: i.issuer,
        source: configured.has(i.issuer) ? 'database (overridden by tokens.issuers)' : 'database',
        jwksUrl: i.jwksUrl ?? null,
        jwksFile: i.jwksFile ?? null,
        comment: i.comment,
      }));
      const issuers = [...fromConfig, ...stored];
      output(flags, { issuers }, issuers, columns);
    } finally {
      await db.close();
    }
  });

  withApiOption(issuer.command('remove').description('stop trusting an issuer added with `issuer add`').argument('<iss>', 'the exact iss')).action(async (iss: string, flags: ApiOrDbFlags) => {
    if (flags.api) {
      outputRecord(flags, await callAdmin(flags, 'POST', '/issuers/remove', { issuer: iss }));
      return;
    }
    const { db } = await openDatabase(configFor(flags));
    try {
      const removed = await new TokenAdministration(db).removeIssuer(iss, localActor());
      if (!removed) throw new CliError(`${iss} is not in the database (tokens.issuers entries are changed in the configuration)`, 1);
      process.stdout.write(`issuer ${iss} removed\n`);
    } finally {
      await db.close();
    }
  });
}

/**
 * `gridauthz link add|list|remove` (docs/mapping-tokens.md, "One person, one account"): a token identity linked to
 * an X.509 DN is banned and mapped exactly as that DN.
 */
export function registerLink(program: Command): void {
  const link = program.command('link').description('link token identities (issuer, subject) to X.509 DNs: one person, one account (direct database)');

  withApiOption(
    link
      .command('add')
      .description('link a token identity to a DN; running servers apply it within a second')
      .requiredOption('--issuer <iss>', 'the exact iss')
      .requiredOption('--subject <sub>', 'the exact sub')
      .requiredOption('--dn <dn>', 'the certificate subject DN (slash or RFC 2253 form)')
      .option('--comment <text>', 'why, e.g. the ticket that verified it is one person'),
  ).action(async (flags: ApiOrDbFlags & { issuer: string; subject: string; dn: string; comment?: string }) => {
    const iss = exact('--issuer', flags.issuer);
    const sub = exact('--subject', flags.subject);
    const dn = parseDn(flags.dn);
    if (flags.api) {
      outputRecord(flags, await callAdmin(flags, 'POST', '/token-links', { issuer: iss, subject: sub, dn: dn.toSlash(), ...(flags.comment !== undefined ? { comment: flags.comment } : {}) }));
      return;
    }
    const { db, target } = await openDatabase(configFor(flags));
    try {
      const { before, after } = await new TokenAdministration(db).link(iss, sub, dn, flags.comment, localActor());
      process.stdout.write(before ? `(${iss}, ${sub}) now linked to ${after.dn} (was ${before.dn}) on ${target}\n` : `(${iss}, ${sub}) linked to ${after.dn} on ${target}\n`);
    } finally {
      await db.close();
    }
  });

  withApiOption(link.command('list').description('linked token identities')).action(async (flags: ApiOrDbFlags) => {
    const columns = ['issuer', 'subject', 'dn', 'comment', 'createdBy'];
    if (flags.api) {
      const answer = await callAdmin(flags, 'GET', '/token-links');
      output(flags, answer, answer['links'] as Record<string, unknown>[], columns);
      return;
    }
    const { db } = await openDatabase(configFor(flags));
    try {
      const links = (await new TokenAdministration(db).links()).map((l) => ({ issuer: l.issuer, subject: l.subject, dn: l.dn, comment: l.comment, createdBy: l.createdBy, createdAt: l.createdAt.toISOString() }));
      output(flags, { links }, links, columns);
    } finally {
      await db.close();
    }
  });

  withApiOption(link.command('remove').description('remove the link of a token identity').requiredOption('--issuer <iss>', 'the exact iss').requiredOption('--subject <sub>', 'the exact sub')).action(
    async (flags: ApiOrDbFlags & { issuer: string; subject: string }) => {
      if (flags.api) {
        outputRecord(flags, await callAdmin(flags, 'POST', '/token-links/remove', { issuer: flags.issuer, subject: flags.subject }));
        return;
      }
      const { db } = await openDatabase(configFor(flags));
      try {
        const removed = await new TokenAdministration(db).unlink(flags.issuer, flags.subject, localActor());
        if (!removed) throw new CliError(`no link for (${flags.issuer}, ${flags.subject})`, 1);
        process.stdout.write(`(${flags.issuer}, ${flags.subject}) unlinked from ${removed.dn}\n`);
      } finally {
        await db.close();
      }
    },
  );
}
