import { describe, expect, it } from 'vitest';
import { checkLeaseExpiryPolicy, DEFAULT_LEASE_EXPIRY, isLeaseExpired, leaseExpiryCutoff, leaseIdleThreshold, type LeaseExpiryPolicy } from './lease-expiry';

const H = 3_600_000;
const policy: LeaseExpiryPolicy = { enabled: true, maxQueueTime: 48 * H, maxWallTime: 72 * H, margin: 12 * H, minimumIdle: 24 * H };
const now = new Date('2026-06-01T00:00:00Z');
const ago = (hours: number): Date => new Date(now.getTime() - hours * H);

describe('lease expiry rule', () => {
  it('is off by default', () => {
    expect(DEFAULT_LEASE_EXPIRY.enabled).toBe(false);
    expect(leaseExpiryCutoff(DEFAULT_LEASE_EXPIRY, now)).toBeUndefined();
    expect(isLeaseExpired({ username: 'a', lastUsedAt: new Date(0) }, DEFAULT_LEASE_EXPIRY, now)).toBe(false);
  });

  it('releases only after queue + wall time + margin, or the site floor if larger', () => {
    expect(leaseIdleThreshold(policy)).toBe(132 * H);
    expect(leaseIdleThreshold({ ...policy, minimumIdle: 240 * H })).toBe(240 * H);
    expect(isLeaseExpired({ username: 'a', lastUsedAt: ago(132) }, policy, now)).toBe(false);
    expect(isLeaseExpired({ username: 'a', lastUsedAt: ago(133) }, policy, now)).toBe(true);
  });

  it('never releases an account still reported busy', () => {
    expect(isLeaseExpired({ username: 'a', lastUsedAt: ago(1000) }, policy, now, new Set(['a']))).toBe(false);
  });

  it('rejects unusable policies', () => {
    expect(checkLeaseExpiryPolicy(policy)).toEqual([]);
    expect(checkLeaseExpiryPolicy({ ...policy, maxWallTime: 0 })).toEqual(['maxWallTime must be positive when expiry is enabled']);
    expect(checkLeaseExpiryPolicy({ ...policy, margin: -1, maxQueueTime: Number.NaN })).toHaveLength(2);
  });
});
