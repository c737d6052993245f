import type { Account, Dn, Fqan } from '@gridauthz/domain';
import { accountFor, type CompiledMappingConfig, type MappingPurpose, prepareMapping } from '@gridauthz/mapping';
import { type Database, type LeasePreview, PostgresLeaseStore, previewLease } from '@gridauthz/persistence';

/** The answer of a what-if mapping: what a decision would map the subject to now, with nothing leased. */
export type WhatIfAnswer =
  | { readonly outcome: 'refused'; readonly code: string; readonly detail: string }
  | { readonly outcome: 'static'; readonly ruleId: string; readonly account: Account }
  | {
      readonly outcome: 'existing-lease' | 'would-lease' | 'pool-exhausted';
      readonly ruleId: string;
      readonly poolId: string;
      readonly subjectKey: string;
      readonly account?: Account;
      /** Free accounts in the pool now (would-lease). */
      readonly free?: number;
      /** Live leases of the same key in other pools (released or refused by mapping.leaseInOtherPool). */
      readonly otherPools: readonly { readonly poolId: string; readonly username: string }[];
    };

/**
 * GUMS's "map grid identity" / a pepcli dry run: the rules' plan for (DN, FQANs) and the account the pool would
 * give, read without taking a lease or touching last use, so asking does not change the site.
 */
export async function whatIfMapping(
  db: Database,
  config: CompiledMappingConfig,
  subject: { dn: Dn; fqans: readonly Fqan[] },
  now: Date,
  purpose: MappingPurpose = 'pilot-or-user',
): Promise<WhatIfAnswer> {
  const prepared = prepareMapping(config, subject, purpose);
  if (!prepared.ok) return { outcome: 'refused', code: prepared.error.code, detail: prepared.error.detail };
  const { plan, target } = prepared.value;
  if (target.kind === 'static') return { outcome: 'static', ruleId: plan.ruleId, account: target.account };
  const others = (await new PostgresLeaseStore(db).list({ subjectKey: target.subjectKey }))
    .filter((l) => l.poolId !== target.poolId)
    .map((l) => ({ poolId: l.poolId, username: l.username }));
  const preview: LeasePreview = await previewLease(db, target.poolId, target.subjectKey, now);
  const base = { ruleId: plan.ruleId, poolId: target.poolId, subjectKey: target.subjectKey, otherPools: others };
  const account = (a: { username: string; uid: number; gid: number }): Account => accountFor(config, plan, { ...a, poolId: target.poolId });
  switch (preview.kind) {
    case 'existing':
      return { outcome: 'existing-lease', ...base, account: account(preview.account) };
    case 'next-free':
      return { outcome: 'would-lease', ...base, account: account(preview.account), free: preview.free };
    default:
      return { outcome: 'pool-exhausted', ...base };
  }
}
