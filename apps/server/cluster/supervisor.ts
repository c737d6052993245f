import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

/** IPC message a worker sends when its /metrics is scraped: the primary answers with every worker's metrics. */
export const CLUSTER_METRICS_REQUEST = 'gridauthz:cluster-metrics';

export interface SupervisorOptions {
  readonly workers: number;
  readonly log: Logger;
  /** Restarts allowed per minute before the supervisor gives up (a crash loop is a bug, not load). */
  readonly maxRestartsPerMinute?: number;
}

/**
 * The primary process of `serve --workers N`: forks N workers that share the listeners (node:cluster), replaces
 * a worker that dies, and on SIGTERM/SIGINT asks each worker to drain (finish and record what it started)
 * before exiting. Serves aggregated Prometheus metrics to whichever worker is scraped.
 */
export function runSupervisor(options: SupervisorOptions): Promise<number> {
  const { log } = options;
  const aggregator = new AggregatorRegistry();
  const restarts: number[] = [];
  let stopping = false;

  const fork = (): Worker => {
    const worker = cluster.fork({ GRIDAUTHZ_CLUSTER_WORKER: '1' });
    worker.on('message', (message: unknown) => {
      if (typeof message !== 'object' || message === null || (message as { type?: string }).type !== CLUSTER_METRICS_REQUEST) return;
      const id = (message as { id?: number }).id;
      aggregator.clusterMetrics().then(
        (metrics) => worker.isConnected() && worker.send({ type: CLUSTER_METRICS_REQUEST, id, metrics }),
        (err: unknown) => worker.isConnected() && worker.send({ type: CLUSTER_METRICS_REQUEST, id, error: (err as Error).message }),
      );
    });
    return worker;
  };

  // Workers accept on the shared listening socket themselves (SCHED_NONE) instead of the supervisor accepting every
  // connection and passing it on (round-robin, Node's default on Linux). Under round-robin the supervisor holds each
  // accepted socket until a worker takes it; with workers out of file descriptors it held hundreds that no worker
  // ever took, and the PDP went silent for good while /readyz said ready (issue 15). Here a worker that cannot
  // accept just leaves the connection to the other workers or the backlog, and the supervisor holds no client
  // socket. The cost: the kernel spreads connections less evenly than round-robin (docs/operations.md).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  return new Promise((resolve) => {
    for (let i = 0; i < options.workers; i += 1) fork();
    log.info({ workers: options.workers }, 'supervisor started workers');
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          log.info('all workers drained; supervisor exiting');
          resolve(0);
        }
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && (restarts[0] as number) < now - 60_000) restarts.shift();
      if (restarts.length > (options.maxRestartsPerMinute ?? 10)) {
        log.fatal({ restarts: restarts.length }, 'workers keep dying; supervisor stops');
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
        resolve(1);
        return;
      }
      log.error({ workerPid: worker.process.pid, code, signal }, 'worker died; starting a replacement');
      fork();
    });
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'draining workers');
      const alive = Object.values(cluster.workers ?? {});
      if (alive.length === 0) resolve(0);
      for (const w of alive) w?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

let nextRequest = 0;

/** In a worker: the whole cluster's metrics, via the primary. */
export function clusterMetricsFromPrimary(timeoutMs = 5_000): Promise<string> {
  const id = ++nextRequest;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', listener);
      reject(new Error('the supervisor did not answer with cluster metrics'));
    }, timeoutMs);
    const listener = (message: unknown): void => {
      const m = message as { type?: string; id?: number; metrics?: string; error?: string };
      if (m?.type !== CLUSTER_METRICS_REQUEST || m.id !== id) return;
      clearTimeout(timer);
      process.off('message', listener);
      if (m.error !== undefined) reject(new Error(m.error));
      else resolve(m.metrics ?? '');
    };
    process.on('message', listener);
    process.send?.({ type: CLUSTER_METRICS_REQUEST, id });
  });
}

