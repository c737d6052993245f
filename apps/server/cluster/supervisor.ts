import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

/** IPC message a worker sends when its /metrics is scraped: the primary answers with every worker's metrics. */
export const CLUSTER_METRICS_REQUEST = 'gridauthz:cluster-metrics';
/** IPC message a worker sends once it serves (listeners bound, database open, schema current). */
export const WORKER_STARTED = 'gridauthz:worker-started';
/** IPC message a worker sends when it cannot start: the one-line cause and its exit code. */
export const WORKER_START_FAILED = 'gridauthz:worker-start-failed';

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
  const started = new Set<number>();
  let failure: { message: string; code: number } | undefined;

  const fork = (): Worker => {
    const worker = cluster.fork({ GRIDAUTHZ_CLUSTER_WORKER: '1' });
    worker.on('message', (message: unknown) => {
      const type = typeof message === 'object' && message !== null ? (message as { type?: string }).type : undefined;
      if (type === WORKER_STARTED) started.add(worker.id);
      if (type === WORKER_START_FAILED && !failure) {
        const m = message as { message?: string; code?: number };
        failure = { message: String(m.message), code: typeof m.code === 'number' && m.code > 0 ? m.code : 70 };
      }
      if (type !== CLUSTER_METRICS_REQUEST) return;
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
    /** Stops every worker (SIGTERM, then SIGKILL after a grace period) and resolves with `code` once they are gone. */
    const stopAll = (code: number): void => {
      stopping = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      for (const w of alive) w.process.kill('SIGTERM');
      const kill = setTimeout(() => {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      }, 3_000);
      kill.unref();
      const done = (): void => {
        if (Object.keys(cluster.workers ?? {}).length > 0) return;
        clearTimeout(kill);
        resolve(code);
      };
      cluster.on('exit', done);
      done();
    };
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        if (failure) return;
        if (Object.keys(cluster.workers ?? {}).length === 0) {
          log.info('all workers drained; supervisor exiting');
          resolve(0);
        }
        return;
      }
      if (!started.has(worker.id)) {
        // Died before it served: a start-up failure (port in use, database, schema). Every worker would meet the same
        // one, so restarting would loop; stop them all and exit with the worker's code and one line of its cause.
        const exitCode = failure?.code ?? (code !== null && code > 0 ? code : 70);
        const line = failure?.message ?? `worker ${worker.process.pid} exited during start-up (${signal ?? `code ${code}`}); see the log`;
        failure ??= { message: line, code: exitCode };
        process.stderr.write(`gridauthz: ${line}\n`);
        log.fatal({ workerPid: worker.process.pid, code, signal }, 'a worker failed to start; stopping the others');
        stopAll(exitCode);
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && (restarts[0] as number) < now - 60_000) restarts.shift();
      if (restarts.length > (options.maxRestartsPerMinute ?? 10)) {
        log.fatal({ restarts: restarts.length }, 'workers keep dying; supervisor stops');
        process.stderr.write(`gridauthz: workers keep dying (${restarts.length} in a minute); stopping\n`);
        failure = { message: 'workers keep dying', code: 70 };
        stopAll(70);
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

