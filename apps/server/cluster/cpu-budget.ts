import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Whole CPUs the cgroup's CFS quota allows (cgroup v2 cpu.max, else v1 cfs_quota_us/cfs_period_us), rounded down and
 * at least 1; undefined when there is no quota. Rounded down: a worker more than the quota only gets throttled,
 * which shows up as latency spikes rather than throughput.
 */
export function cgroupCpuQuota(read: ReadText = readText): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    return wholeCpus(quota, period);
  }
  return wholeCpus(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')?.trim(), read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')?.trim());
}

function wholeCpus(quota: string | undefined, period: string | undefined): number | undefined {
  if (quota === undefined || period === undefined || quota === 'max') return undefined;
  const q = Number(quota);
  const p = Number(period);
  // v1 writes -1 for "no quota".
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.max(1, Math.floor(q / p));
}

/**
 * CPUs this process may use: the affinity mask (os.availableParallelism) capped by the cgroup quota. Node 20 reports
 * every CPU of the node inside a Kubernetes pod with a CPU limit, and a worker per node CPU would be throttled and
 * run the pod out of memory.
 */
export function cpuBudget(read: ReadText = readText, cpus: number = availableParallelism()): number {
  const quota = cgroupCpuQuota(read);
  return Math.max(1, quota === undefined ? cpus : Math.min(cpus, quota));
}
