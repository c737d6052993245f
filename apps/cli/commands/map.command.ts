import type { Command } from 'commander';
import { Dn, Fqan } from '@gridauthz/domain';
import { ARGUS_SETTINGS, compileMappingConfig, describeProblem, LCMAPS_SETTINGS, type MappingPurpose } from '@gridauthz/mapping';
import { PostgresMappingConfigStore } from '@gridauthz/persistence';
import { whatIfMapping, type WhatIfAnswer } from '../../server/site/what-if';
import { CliError } from '../cli-error';
import { addConfigOption, configFor, type ConfigFlags } from './config-options';
import { openDatabase } from './open-database';

interface MapFlags extends ConfigFlags {
  dn: string;
  fqan?: string[];
  purpose: string;
  json?: boolean;
}

/**
 * `gridauthz map --dn … --fqan …`: the account a decision would map this identity to, without leasing one
 * (GUMS's "map grid identity", a pepcli dry run). Changes nothing, so it is not audited.
 */
export function registerMap(program: Command): void {
  addConfigOption(
    program
      .command('map')
      .description('what-if mapping: the account (DN, FQANs) would get now, or its existing lease; leases nothing')
      .requiredOption('--dn <dn>', 'subject DN (slash or RFC 2253 form)')
      .option('--fqan <fqan...>', 'VOMS FQANs, primary first')
      .option('--purpose <purpose>', 'pilot-or-user | payload (glexec payload: pilot pools refused)', 'pilot-or-user')
      .option('--json', 'JSON output'),
  ).action(async (flags: MapFlags) => {
    let dn: Dn;
    let fqans: Fqan[];
    try {
      dn = Dn.parse(flags.dn);
    } catch (err) {
      throw new CliError(`--dn "${flags.dn}" is not a DN: ${(err as Error).message}`, 2);
    }
    try {
      fqans = (flags.fqan ?? []).map((f) => Fqan.parse(f));
    } catch (err) {
      throw new CliError(`--fqan: ${(err as Error).message}`, 2);
    }
    if (flags.purpose !== 'pilot-or-user' && flags.purpose !== 'payload') throw new CliError('--purpose must be pilot-or-user or payload', 2);
    const config = configFor(flags);
    const settings = config.mapping.conventions === 'lcmaps' ? LCMAPS_SETTINGS : ARGUS_SETTINGS;
    const { db } = await openDatabase(config);
    let answer: WhatIfAnswer;
    try {
      const compiled = compileMappingConfig(await new PostgresMappingConfigStore(db, settings).load(), settings);
      if (!compiled.ok) throw new CliError(`the stored mapping configuration does not compile: ${compiled.error.problems.map(describeProblem).join('; ')}`, 1);
      answer = await whatIfMapping(db, compiled.value, { dn, fqans }, new Date(), flags.purpose as MappingPurpose);
    } finally {
      await db.close();
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    else process.stdout.write(renderWhatIf(answer));
    if (answer.outcome === 'refused' || answer.outcome === 'pool-exhausted') process.exitCode = 1;
  });
}

export function renderWhatIf(a: WhatIfAnswer): string {
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
