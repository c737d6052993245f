import { fail, ok, type Account, type Result } from '@gridauthz/domain';
import type { CompiledMappingConfig } from './config/mapping-config';
import type { AcquireError, LeaseStore } from './lease/lease-store';
import { checkPilotPool, type MappingPurpose } from './pilot/pilot';
import type { PoolAccount } from './pool/pool';
import { planMapping, type MappingPlan, type MappingSubject, type PlanError } from './rule/plan';

export interface MappingOutcome {
  readonly account: Account;
  readonly plan: MappingPlan;
  /** Present for pool targets: whether this call created the lease. */
  readonly leaseCreated?: boolean;
}

export type MapSubjectError = PlanError | AcquireError | 'MAPPING_PILOT_POOL_DENIED' | 'MAPPING_LEASE_CONFLICT';

/**
 * The mapping use case: rules → plan → lease → POSIX account. Bans are not checked here; the decision pipeline
 * checks them first, on every path (mapping.md §4.2).
 */
export async function mapSubject(
  leases: LeaseStore,
  config: CompiledMappingConfig,
  subject: MappingSubject,
  now: Date,
  purpose: MappingPurpose = 'pilot-or-user',
): Promise<Result<MappingOutcome, MapSubjectError>> {
  const planned = planMapping(config, subject);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const pilot = checkPilotPool(config, plan, subject.fqans, purpose);
  if (!pilot.allowed) return fail(pilot.code, pilot.detail);
  if (plan.target.kind === 'static') {
    // compileMappingConfig guarantees every static target exists.
    const account = config.accounts.get(plan.target.username) as PoolAccount;
    return ok({ account: toAccount(config, plan, account), plan });
  }
  const { poolId, subjectKey } = plan.target;
  if (config.settings.leaseInOtherPool !== 'allow') {
    const elsewhere = (await leases.list({ subjectKey })).filter((l) => l.poolId !== poolId);
    if (elsewhere.length > 0 && config.settings.leaseInOtherPool === 'fail') {
      return fail('MAPPING_LEASE_CONFLICT', `${subjectKey} holds ${elsewhere.map((l) => `${l.username} in pool ${l.poolId}`).join(', ')}, but rule ${plan.ruleId} maps it to pool ${poolId}`);
    }
    for (const l of elsewhere) await leases.release(l.poolId, l.subjectKey);
  }
  const leased = await leases.acquire(poolId, subjectKey, now);
  if (!leased.ok) return leased;
  return ok({ account: toAccount(config, plan, leased.value.account), plan, leaseCreated: leased.value.created });
}

function toAccount(config: CompiledMappingConfig, plan: MappingPlan, account: PoolAccount): Account {
  const gid = plan.primaryGroup?.gid ?? account.gid;
  // setgroups needs each gid once; the plan keeps Argus's duplicates only because they shape the lease key.
  const secondaryGids = plan.accountGidAsSecondary ? [account.gid] : [...new Set(plan.secondaryGroups.map((g) => g.gid))];
  const nameOf = (g: number): string | undefined => config.groupsByGid.get(g)?.name;
  const groupName = nameOf(gid);
  const secondaryGroupNames = secondaryGids.map(nameOf).filter((n): n is string => n !== undefined);
  return {
    username: account.username,
    uid: account.uid,
    gid,
    ...(groupName !== undefined ? { groupName } : {}),
    secondaryGids,
    ...(secondaryGroupNames.length === secondaryGids.length ? { secondaryGroupNames } : {}),
  };
}
