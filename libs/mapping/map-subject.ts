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
  /** Present for pool targets: the leased pool account as stored (before the plan's groups are applied). */
  readonly poolAccount?: PoolAccount;
}

export type MapSubjectError = PlanError | AcquireError | 'MAPPING_PILOT_POOL_DENIED' | 'MAPPING_LEASE_CONFLICT';

/** Where a subject's account comes from, decided by the rules alone, before any lease is looked at. */
export type PreparedMapping =
  | { readonly plan: MappingPlan; readonly target: { readonly kind: 'static'; readonly account: Account } }
  | { readonly plan: MappingPlan; readonly target: { readonly kind: 'pool'; readonly poolId: string; readonly subjectKey: string } };

/** Rules → plan → pilot-pool check → static account or (pool, lease key). Pure: no store is touched. */
export function prepareMapping(
  config: CompiledMappingConfig,
  subject: MappingSubject,
  purpose: MappingPurpose = 'pilot-or-user',
): Result<PreparedMapping, PlanError | 'MAPPING_PILOT_POOL_DENIED'> {
  const planned = planMapping(config, subject);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const pilot = checkPilotPool(config, plan, subject.fqans, purpose);
  if (!pilot.allowed) return fail(pilot.code, pilot.detail);
  if (plan.target.kind === 'static') {
    // compileMappingConfig guarantees every static target exists.
    const account = config.accounts.get(plan.target.username) as PoolAccount;
    return ok({ plan, target: { kind: 'static', account: accountFor(config, plan, account) } });
  }
  return ok({ plan, target: { kind: 'pool', poolId: plan.target.poolId, subjectKey: plan.target.subjectKey } });
}

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
  const prepared = prepareMapping(config, subject, purpose);
  if (!prepared.ok) return prepared;
  return leasePrepared(leases, config, prepared.value, now);
}

/** The lease half of mapSubject, for a caller that already holds the plan: the key's account, leased or touched. */
export async function leasePrepared(
  leases: LeaseStore,
  config: CompiledMappingConfig,
  prepared: PreparedMapping,
  now: Date,
): Promise<Result<MappingOutcome, MapSubjectError>> {
  const { plan, target } = prepared;
  if (target.kind === 'static') return ok({ account: target.account, plan });
  const { poolId, subjectKey } = target;
  if (config.settings.leaseInOtherPool !== 'allow') {
    const elsewhere = (await leases.list({ subjectKey })).filter((l) => l.poolId !== poolId);
    if (elsewhere.length > 0 && config.settings.leaseInOtherPool === 'fail') {
      return fail('MAPPING_LEASE_CONFLICT', `${subjectKey} holds ${elsewhere.map((l) => `${l.username} in pool ${l.poolId}`).join(', ')}, but rule ${plan.ruleId} maps it to pool ${poolId}`);
    }
    for (const l of elsewhere) await leases.release(l.poolId, l.subjectKey);
  }
  const leased = await leases.acquire(poolId, subjectKey, now);
  if (!leased.ok) return leased;
  const poolAccount = leased.value.account;
  return ok({ account: accountFor(config, plan, poolAccount), plan, leaseCreated: leased.value.created, poolAccount });
}

/** The POSIX identity of a pool or static account under a plan: the plan's groups, else the account's own gid. */
export function accountFor(config: CompiledMappingConfig, plan: MappingPlan, account: PoolAccount): Account {
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
