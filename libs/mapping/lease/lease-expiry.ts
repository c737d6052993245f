import type { Lease } from './lease-store';

const HOUR = 3_600_000;

/**
 * When an idle lease may be released (docs/lease-expiry.md). Every mapping refreshes a lease's lastUsedAt, and any
 * process on the account was started because of some mapping at or before it. Such a process started at most
 * `maxQueueTime` after its mapping (a CE maps at submission, the batch system starts the job later) and ran at
 * most `maxWallTime`; past lastUsedAt + maxQueueTime + maxWallTime + margin nothing the lease owner ran can still
 * run, so the account can go to someone else. Times are milliseconds.
 */
export interface LeaseExpiryPolicy {
  /** Off by default: legacy sites share accounts with a gridmapdir whose own expiry cron may be the authority. */
  readonly enabled: boolean;
  /** Longest a job may wait between its mapping and its start (CE queue); at least the longest proxy lifetime if unbounded. */
  readonly maxQueueTime: number;
  /** Batch-system wall-clock limit of the longest queue. */
  readonly maxWallTime: number;
  /** Epilogue, clock skew, cleanup-grid-accounts runs. */
  readonly margin: number;
  /** Site floor, e.g. 240 h as `lcg-expiregridmapdir.pl -e 240` (mapping.md §2.7); the larger bound wins. */
  readonly minimumIdle: number;
}

export const DEFAULT_LEASE_EXPIRY: LeaseExpiryPolicy = {
  enabled: false,
  maxQueueTime: 168 * HOUR,
  maxWallTime: 72 * HOUR,
  margin: 24 * HOUR,
  minimumIdle: 240 * HOUR,
};

/** Why the policy is unusable; empty if it is fine. */
export function checkLeaseExpiryPolicy(policy: LeaseExpiryPolicy): string[] {
  const problems: string[] = [];
  for (const key of ['maxQueueTime', 'maxWallTime', 'margin', 'minimumIdle'] as const) {
    const v = policy[key];
    if (!Number.isFinite(v) || v < 0) problems.push(`${key} must be a non-negative number of milliseconds`);
  }
  // A zero bound would release accounts of jobs still running, the one outcome the rule exists to prevent.
  if (policy.enabled && !(policy.maxWallTime > 0)) problems.push('maxWallTime must be positive when expiry is enabled');
  return problems;
}

/** The idle time after which a lease may be released. */
export function leaseIdleThreshold(policy: LeaseExpiryPolicy): number {
  return Math.max(policy.minimumIdle, policy.maxQueueTime + policy.maxWallTime + policy.margin);
}

/** Leases last used strictly before this instant may be released; undefined when expiry is off. */
export function leaseExpiryCutoff(policy: LeaseExpiryPolicy, now: Date): Date | undefined {
  return policy.enabled ? new Date(now.getTime() - leaseIdleThreshold(policy)) : undefined;
}

/**
 * Whether one lease may be released now. `busyAccounts` are accounts some worker node still reports processes
 * for (if the site feeds that in); they are never released, whatever their idle time.
 */
export function isLeaseExpired(lease: Pick<Lease, 'username' | 'lastUsedAt'>, policy: LeaseExpiryPolicy, now: Date, busyAccounts: ReadonlySet<string> = new Set()): boolean {
  const cutoff = leaseExpiryCutoff(policy, now);
  return cutoff !== undefined && lease.lastUsedAt.getTime() < cutoff.getTime() && !busyAccounts.has(lease.username);
}
