import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';

export interface OpenFilesLimit {
  readonly soft: number;
  readonly hard: number;
}

/**
 * The open-files (nofile) limits from /proc/self/limits; undefined off Linux or when unlimited. Node raises its soft
 * limit to the hard limit itself at start-up (src/node.cc, PlatformInit), so what is read here is already raised:
 * the hard limit is what an operator sets (systemd LimitNOFILE=, Kubernetes' container runtime, `ulimit -Hn`).
 */
export function openFilesLimit(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): OpenFilesLimit | undefined {
  let text: string;
  try {
    text = read('/proc/self/limits');
  } catch {
    return undefined;
  }
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
  if (!m || m[1] === 'unlimited') return undefined;
  return { soft: Number(m[1]), hard: m[2] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[2]) };
}

/** Open file descriptors of this process (Linux); undefined elsewhere. */
export function openFileCount(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** Below this many descriptors a PDP process cannot hold a useful number of connections. */
export const RECOMMENDED_NOFILE = 8192;
/** Descriptors kept for everything but PDP connections: database pool, files, admin and management listeners. */
export const NOFILE_RESERVE = 256;

/** limits.maxConnections: the configured number, or for auto the soft limit less the reserve (at least 64). */
export function pdpMaxConnections(configured: 'auto' | number, limit: OpenFilesLimit | undefined): number {
  if (configured !== 'auto') return configured;
  if (!limit) return 10_000;
  return Math.max(64, limit.soft - NOFILE_RESERVE);
}

/**
 * Logs the limit at start, warns when it is low, and from then on every 10 s warns (at most once a minute) when
 * the process uses more than 80 % of it. Returns the metric source and a stop function.
 */
export function watchOpenFiles(log: Logger, limit: OpenFilesLimit | undefined): { sample(): { open: number; limit: number } | undefined; stop(): void } {
  if (!limit) return { sample: () => undefined, stop: () => undefined };
  if (limit.soft < RECOMMENDED_NOFILE) {
    log.warn(
      { soft: limit.soft, hard: limit.hard, recommended: RECOMMENDED_NOFILE },
      'open-files limit is low: PDP connections are capped below it (limits.maxConnections); raise it with LimitNOFILE= (systemd) or ulimit -n',
    );
  } else {
    log.info({ soft: limit.soft, hard: limit.hard }, 'open-files limit');
  }
  let warnedAt = 0;
  const sample = (): { open: number; limit: number } | undefined => {
    const open = openFileCount();
    return open === undefined ? undefined : { open, limit: limit.soft };
  };
  const timer = setInterval(() => {
    const s = sample();
    if (s && s.open > 0.8 * s.limit && Date.now() - warnedAt > 60_000) {
      warnedAt = Date.now();
      log.warn({ open: s.open, limit: s.limit }, 'open file descriptors above 80 % of the limit');
    }
  }, 10_000);
  timer.unref();
  return { sample, stop: () => clearInterval(timer) };
}
