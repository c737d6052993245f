import type { AskedTokenIdentity } from '@gridauthz/credentials';
import type { Account, Dn, Fqan } from '@gridauthz/domain';
import { accountFor, type CompiledMappingConfig, type MappingPurpose, type MappingSubject, prepareMapping, TokenLinks } from '@gridauthz/mapping';
import { type Database, type LeasePreview, PostgresLeaseStore, previewLease } from '@gridauthz/persistence';

/** Who is asked about: an X.509 identity, or a token identity (docs/mapping-tokens.md, "Asking what a token maps to"). */
export type WhatIfSubject = { readonly dn: Dn; readonly fqans: readonly Fqan[] } | { readonly token: AskedTokenIdentity };

/**
 * The answer of a what-if mapping: what a decision would map the subject to now, with nothing leased. A token
 * answer names the token identity, and the DN it is linked to when a link makes it map as that DN.
 */
export type WhatIfAnswer = WhatIfOutcome & {
  readonly token?: { readonly issuer: string; readonly subject: string; readonly groups: readonly string[] };
  readonly linkedDn?: string;
};

type WhatIfOutcome =
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
 * GUMS's "map grid identity" / a pepcli dry run: the rules' plan for (DN, FQANs) or a token identity and the
 * account the pool would give, read without taking a lease or touching last use, so asking does not change the
 * site. A token identity is linked (`links`, the ones decisions apply) and planned as a decision plans it; bans,
 * the issuer's trust and the policy are not asked about, as for a DN.
 */
export async function whatIfMapping(
  db: Database,
  config: CompiledMappingConfig,
  subject: WhatIfSubject,
  now: Date,
  purpose: MappingPurpose = 'pilot-or-user',
  links: TokenLinks = new TokenLinks(),
): Promise<WhatIfAnswer> {
  if (!('token' in subject)) return whatIf(db, config, subject, now, purpose);
  const { issuer, subject: sub, groups } = subject.token;
  // The mapping subject the decision's mapping stage builds from a verified token: no FQANs, the token's groups.
  const mapped: MappingSubject = links.apply({ fqans: [], token: { issuer, subject: sub }, groups });
  const answer = await whatIf(db, config, mapped, now, purpose);
  return Object.assign(answer, { token: { issuer, subject: sub, groups: [...groups] } }, mapped.dn ? { linkedDn: mapped.dn.toSlash() } : {});
}

async function whatIf(db: Database, config: CompiledMappingConfig, subject: MappingSubject, now: Date, purpose: MappingPurpose): Promise<WhatIfOutcome> {
  const prepared = prepareMapping(config, subject, purpose);
  if (!prepared.ok) return { outcome: 'refused', code: prepared.error.code, detail: prepared.error.detail };
  const { plan, target } = prepared.value;
  if (target.kind === 'static') return { outcome: 'static', ruleId: plan.ruleId, account: target.account };
  const others = (await new PostgresLeaseStore(db).list({ subjectKey: target.subjectKey }))
    .filter((l) => l.poolId !== target.poolId)
    .map((l) => ({ poolId: l.poolId, username: l.username }));
  const preview: LeasePreview = await previewLease(db, target.poolId, target.subjectKey, now);
  const base = { ruleId: plan.ruleId, poolId: target.poolId, subjectKey: target.subjectKey, otherPools: others };
  const account = (a: { username: string; uid: number; gid: number }): Account => accountFor(config, plan, { poolId: target.poolId, username: a.username, uid: a.uid, gid: a.gid });
  switch (preview.kind) {
    case 'existing':
      return { outcome: 'existing-lease', ...base, account: account(preview.account) };
    case 'next-free':
      return { outcome: 'would-lease', ...base, account: account(preview.account), free: preview.free };
    default:
      return { outcome: 'pool-exhausted', ...base };
  }
}
