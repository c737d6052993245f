import { describe, expect, it } from 'vitest';
import { RecentLeases } from './recent-leases';

const account = (username: string) => ({ poolId: 'atlas', username, uid: 61001, gid: 5000 });

describe('RecentLeases: which leases may be confirmed without a touch', () => {
  it('offers a lease only within the touch interval after this process touched it', () => {
    const recent = new RecentLeases();
    recent.remember('atlas', 'key', account('atlas001'), 1_000);
    expect(recent.fresh('atlas', 'key', 1_000, 60_000)?.username).toBe('atlas001');
    expect(recent.fresh('atlas', 'key', 60_999, 60_000)?.username).toBe('atlas001');
    // At the interval the lease must be touched again, so last use never lags more than the interval.
    expect(recent.fresh('atlas', 'key', 61_000, 60_000)).toBeUndefined();
    // A clock that stepped backwards forces a touch too.
    expect(recent.fresh('atlas', 'key', 999, 60_000)).toBeUndefined();
    expect(recent.fresh('atlas', 'other-key', 1_000, 60_000)).toBeUndefined();
    expect(recent.fresh('lhcb', 'key', 1_000, 60_000)).toBeUndefined();
  });

  it('an interval of 0 never offers a lease', () => {
    const recent = new RecentLeases();
    recent.remember('atlas', 'key', account('atlas001'), 1_000);
    expect(recent.fresh('atlas', 'key', 1_000, 0)).toBeUndefined();
  });

  it('forgets on request and keeps at most its capacity, least recently used out first', () => {
    const recent = new RecentLeases(2);
    recent.remember('atlas', 'a', account('atlas001'), 0);
    recent.remember('atlas', 'b', account('atlas002'), 0);
    expect(recent.fresh('atlas', 'a', 1, 60_000)).toBeDefined();
    recent.remember('atlas', 'c', account('atlas003'), 0);
    expect(recent.size).toBe(2);
    expect(recent.fresh('atlas', 'b', 1, 60_000)).toBeUndefined();
    expect(recent.fresh('atlas', 'a', 1, 60_000)).toBeDefined();
    recent.forget('atlas', 'a');
    expect(recent.fresh('atlas', 'a', 1, 60_000)).toBeUndefined();
  });

  it('does not make a hint too old to use more recent by looking it up', () => {
    const recent = new RecentLeases(2);
    recent.remember('atlas', 'old', account('atlas001'), 0);
    recent.remember('atlas', 'new', account('atlas002'), 50_000);
    expect(recent.fresh('atlas', 'old', 70_000, 60_000)).toBeUndefined(); // stale: 70 s after its touch
    recent.remember('atlas', 'third', account('atlas003'), 70_000);
    expect(recent.fresh('atlas', 'new', 70_000, 60_000)).toBeDefined();
    expect(recent.size).toBe(2);
  });
});
