import type { Fqan } from '@gridauthz/domain';
import type { CompiledMappingConfig } from '../config/mapping-config';
import type { MappingPlan } from '../rule/plan';
import type { PilotRole } from './pilot-role';

/** Why a mapping asks for an account: a pilot's own credential, or a payload run through gLExec by a pilot. */
export type MappingPurpose = 'pilot-or-user' | 'payload';

export type PilotPoolCheck = { readonly allowed: true } | { readonly allowed: false; readonly code: 'MAPPING_PILOT_POOL_DENIED'; readonly detail: string };

/** The pilot role the credential's primary FQAN carries, if any: the credential is then a pilot's. */
export function findPilotRole(config: CompiledMappingConfig, fqans: readonly Fqan[]): PilotRole | undefined {
  const primary = fqans[0];
  return primary ? config.pilotRoles.find((r) => r.matches(primary)) : undefined;
}

/**
 * Pilot pools are for pilots only (mapping.md §7): a payload mapping never lands in one, and any other mapping
 * lands in one only if one of the subject's FQANs is a pilot role of that very pool.
 */
export function checkPilotPool(config: CompiledMappingConfig, plan: MappingPlan, fqans: readonly Fqan[], purpose: MappingPurpose): PilotPoolCheck {
  const poolId = plan.target.kind === 'pool' ? plan.target.poolId : config.accounts.get(plan.target.username)?.poolId;
  if (poolId === undefined || config.pools.get(poolId)?.kind !== 'pilot') return { allowed: true };
  if (purpose === 'payload') return { allowed: false, code: 'MAPPING_PILOT_POOL_DENIED', detail: `rule ${plan.ruleId} maps a payload into pilot pool ${poolId}` };
  const role = config.pilotRoles.find((r) => r.poolId === poolId && fqans.some((f) => r.matches(f)));
  if (role) return { allowed: true };
  return { allowed: false, code: 'MAPPING_PILOT_POOL_DENIED', detail: `no pilot role of pool ${poolId} among the subject's FQANs (rule ${plan.ruleId})` };
}

/**
 * The `user_white_list` value for glexec.conf on worker nodes that still enforce it locally: every pilot-pool
 * account by name (the `.prefix` form is not documented reliably, mapping.md §9 item 7).
 */
export function glexecUserWhiteList(config: CompiledMappingConfig): string {
  return [...config.pools.values()]
    .filter((p) => p.kind === 'pilot')
    .flatMap((p) => p.accounts.map((a) => a.username))
    .join(',');
}
