import { describe, expect, it } from 'vitest';
import { cgroupCpuQuota, cpuBudget } from './cpu-budget';

const files = (entries: Record<string, string>) => (path: string) => entries[path];

describe('CPU budget for `serve` workers', () => {
  it('reads a cgroup v2 quota, rounded down, at least one', () => {
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }))).toBe(2);
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }))).toBe(1);
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': '25000 100000\n' }))).toBe(1);
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }))).toBeUndefined();
  });

  it('falls back to cgroup v1, where -1 means no quota', () => {
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '400000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }))).toBe(4);
    expect(cgroupCpuQuota(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }))).toBeUndefined();
    expect(cgroupCpuQuota(files({}))).toBeUndefined();
  });

  it('a pod limited to 2 CPUs on a 64-CPU node gets 2 workers; no quota means every CPU', () => {
    expect(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': '200000 100000' }), 64)).toBe(2);
    expect(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }), 64)).toBe(64);
    // A quota above the affinity mask does not add CPUs.
    expect(cpuBudget(files({ '/sys/fs/cgroup/cpu.max': '800000 100000' }), 2)).toBe(2);
  });
});
