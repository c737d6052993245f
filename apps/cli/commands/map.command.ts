import type { Command } from 'commander';
import { checkAskedTokenIdentity } from '@gridauthz/credentials';
import { Dn, Fqan } from '@gridauthz/domain';
import { ARGUS_SETTINGS, compileMappingConfig, describeProblem, LCMAPS_SETTINGS, type MappingPurpose, TokenLinks } from '@gridauthz/mapping';
import { PostgresMappingConfigStore, PostgresTokenLinkStore } from '@gridauthz/persistence';
import { whatIfMapping, type WhatIfAnswer, type WhatIfSubject } from '../../server/site/what-if';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';
import { openDatabase } from './open-database';

interface MapFlags extends ConfigFlags {
  dn?: string;
  fqan?: string[];
  issuer?: string;
  subject?: string;
  group?: string[];
  purpose: string;
  json?: boolean;
}

const USAGE = 'give --dn DN [--fqan FQAN...] or --issuer ISS --subject SUB [--group /g...], not both';

/** The identity the flags name: a DN with FQANs, or a token identity (docs/mapping-tokens.md); exactly one. */
export function mapSubjectOf(flags: Pick<MapFlags, 'dn' | 'fqan' | 'issuer' | 'subject' | 'group'>): WhatIfSubject {
  const x509 = flags.dn !== undefined || flags.fqan !== undefined;
  const token = flags.issuer !== undefined || flags.subject !== undefined || flags.group !== undefined;
  if (x509 && token) throw new CliError(`--dn/--fqan and --issuer/--subject/--group name different identities: ${USAGE}`, 2);
  if (!x509 && !token) throw new CliError(`no identity: ${USAGE}`, 2);
  if (token) {
    if (flags.issuer === undefined || flags.subject === undefined) throw new CliError(`a token identity is --issuer and --subject together (a sub is unique only within its issuer): ${USAGE}`, 2);
    const checked = checkAskedTokenIdentity({ issuer: flags.issuer, subject: flags.subject, groups: flags.group ?? [] });
    if (!checked.ok) throw new CliError(`--${checked.field === 'groups' ? 'group' : checked.field}: ${checked.detail}`, 2);
    return { token: checked.value };
  }
  if (flags.dn === undefined) throw new CliError(`--fqan needs --dn: ${USAGE}`, 2);
  let dn: Dn;
  try {
    dn = Dn.parse(flags.dn);
  } catch (err) {
    throw new CliError(`--dn "${flags.dn}" is not a DN: ${(err as Error).message}`, 2);
  }
  try {
    return { dn, fqans: (flags.fqan ?? []).map((f) => Fqan.parse(f)) };
  } catch (err) {
    throw new CliError(`--fqan: ${(err as Error).message}`, 2);
  }
}

/**
 * `gridauthz map --dn … --fqan …` or `gridauthz map --issuer … --subject … --group …`: the account a decision would
 * map this identity to, without leasing one (GUMS's "map grid identity", a pepcli dry run). A linked token identity
 * answers as its DN. Changes nothing, so it is not audited.
 */
export function registerMap(program: Command): void {
  addConfigOption(
    program
      .command('map')
      .description('what-if mapping: the account (DN, FQANs) or a token identity would get now, or its existing lease; leases nothing')
      .option('--dn <dn>', 'subject DN (slash or RFC 2253 form)')
      .option('--fqan <fqan...>', 'with --dn: VOMS FQANs, primary first')
      .option('--issuer <iss>', "a token identity's issuer (exact iss); with --subject")
      .option('--subject <sub>', "a token identity's subject (exact sub); with --issuer")
      .option('--group <group...>', 'with --issuer: wlcg.groups, primary first, e.g. /atlas')
      .option('--purpose <purpose>', 'pilot-or-user | payload (glexec payload: pilot pools refused)', 'pilot-or-user')
      .option('--json', 'JSON output'),
  ).action(async (flags: MapFlags) => {
    const subject = mapSubjectOf(flags);
    if (flags.purpose !== 'pilot-or-user' && flags.purpose !== 'payload') throw new CliError('--purpose must be pilot-or-user or payload', 2);
    const config = configFor(flags);
    const settings = config.mapping.conventions === 'lcmaps' ? LCMAPS_SETTINGS : ARGUS_SETTINGS;
    const { db } = await openDatabase(config);
    let answer: WhatIfAnswer;
    try {
      const compiled = compileMappingConfig(await new PostgresMappingConfigStore(db, settings).load(), settings);
      if (!compiled.ok) throw new CliError(`the stored mapping configuration does not compile: ${compiled.error.problems.map(describeProblem).join('; ')}`, 1);
      // The links a server loads (reloadTokenState): a row that does not parse is skipped there too.
      const links = 'token' in subject ? new TokenLinks(await new PostgresTokenLinkStore(db).links((row, message) => process.stderr.write(`warning: token link (${row.issuer}, ${row.subject}) ignored: ${message}\n`))) : new TokenLinks();
      answer = await whatIfMapping(db, compiled.value, subject, new Date(), flags.purpose as MappingPurpose, links);
    } finally {
      await db.close();
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else process.stdout.write(renderWhatIf(answer));
    if (answer.outcome === 'refused' || answer.outcome === 'pool-exhausted') process.exitCode = 1;
  });
}

export function renderWhatIf(a: WhatIfAnswer): string {
  const who = a.token ? `${tokenHeading(a)}\n` : '';
  return `${who}${renderOutcome(a)}`;
}

function tokenHeading(a: WhatIfAnswer): string {
  const t = a.token;
  if (!t) return '';
  const groups = t.groups.length > 0 ? `, groups ${t.groups.join(',')}` : ', no groups';
  const linked = a.linkedDn !== undefined ? `; linked to ${a.linkedDn}: mapped as that DN` : '';
  return `token (${t.issuer}, ${t.subject})${groups}${linked}`;
}

function renderOutcome(a: WhatIfAnswer): string {
  if (a.outcome === 'refused') return `no mapping: ${a.code}: ${a.detail}\n`;
  const acct = (x: { username: string; uid: number; gid: number; secondaryGids: readonly number[] }): string =>
    `${x.username} (uid ${x.uid}, gid ${x.gid}${x.secondaryGids.length > 0 ? `, groups ${x.secondaryGids.join(',')}` : ''})`;
  if (a.outcome === 'static') return `rule ${a.ruleId}: static account ${acct(a.account)}\n`;
  const lines = [`rule ${a.ruleId}: pool ${a.poolId}, lease key ${a.subjectKey}`];
  if (a.outcome === 'existing-lease' && a.account) lines.push(`existing lease: ${acct(a.account)}`);
  if (a.outcome === 'would-lease' && a.account) lines.push(`would lease: ${acct(a.account)} (${a.free ?? 0} free; nothing was leased)`);
  if (a.outcome === 'pool-exhausted') lines.push(`pool ${a.poolId} has no free account: a decision would be refused`);
  for (const o of a.otherPools) lines.push(`also holds ${o.username} in pool ${o.poolId} (mapping.leaseInOtherPool decides)`);
  return `${lines.join('\n')}\n`;
}
