import type { DecisionDeadline } from '@gridauthz/decision';

/**
 * One request's deadline (limits.requestDeadlineMs, docs/operations.md "Overload and limits"). `answer` races the
 * work against it: at the deadline the transport answers without the decision, unless the decision is committing
 * a lease, in which case it waits for that commit (bounded by the database's statement timeout) so that no lease
 * is taken for a request answered Indeterminate.
 */
export class RequestDeadline implements DecisionDeadline {
  private passed = false;
  private committing = false;
  private timer: NodeJS.Timeout | undefined;
  private fire: (() => void) | undefined;
  private readonly controller = new AbortController();
  decisionId: string | undefined;

  /** `atMs`: performance.now() time by which the answer must go. */
  constructor(readonly atMs: number, now: () => number) {
    const remaining = atMs - now();
    if (remaining <= 0) {
      // Already late (it waited in the event loop or a queue): no need for a timer.
      this.passed = true;
      this.controller.abort();
      return;
    }
    this.timer = setTimeout(() => this.expire(), remaining);
    this.timer.unref?.();
  }

  get expired(): boolean {
    return this.passed;
  }

  /** Aborted when the deadline passes (waits for a fair-queue turn listen to it). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  started(decisionId: string): void {
    this.decisionId = decisionId;
  }

  enterCommit(): boolean {
    if (this.passed) return false;
    this.committing = true;
    return true;
  }

  /**
   * Runs `work` against the deadline: its result, or `late()` when the deadline passes first and no commit is
   * under way. `work` keeps running after that; the pipeline sees `expired` and records accordingly.
   */
  async race<T>(work: Promise<T>, late: () => T): Promise<T> {
    if (this.passed) {
      work.catch(() => undefined);
      return late();
    }
    const lateAnswer = new Promise<'late'>((resolve) => {
      this.fire = () => resolve('late');
    });
    const outcome = await Promise.race([work, lateAnswer]);
    if (outcome !== 'late') return outcome as T;
    if (this.committing) return work;
    work.catch(() => undefined);
    return late();
  }

  /** Stops the timer once the answer is out. */
  dispose(): void {
    clearTimeout(this.timer);
  }

  private expire(): void {
    if (this.committing) {
      // The lease is being committed: the answer waits for it; `race` returns the work's result.
      this.fire?.();
      return;
    }
    this.passed = true;
    this.controller.abort();
    this.fire?.();
  }
}

/**
 * Turns for expensive requests (bodies over limits.expensiveBodyBytes), per client certificate: each client has at
 * most `perClient` of them decoded and decided at once; the rest wait in its own queue. A turn is handed on with
 * setImmediate, after pending I/O, so requests of other clients (and cheap ones) get the event loop between two
 * expensive ones: four greedy clients hold four turns between a legitimate client's requests, never all of them.
 */
export class ClientTurns {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly perClient: number) {}

  /** Resolves with a release function once the client has a turn; rejects when `signal` aborts first. */
  acquire(client: string, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new Error('deadline passed'));
    const inUse = this.active.get(client) ?? 0;
    if (inUse < this.perClient) {
      this.active.set(client, inUse + 1);
      return Promise.resolve(this.releaser(client));
    }
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(client) ?? [];
      this.waiting.set(client, queue);
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.releaser(client));
      };
      const onAbort = (): void => {
        const at = queue.indexOf(grant);
        if (at !== -1) queue.splice(at, 1);
        if (queue.length === 0 && this.waiting.get(client) === queue) this.waiting.delete(client);
        reject(new Error('deadline passed'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
    });
  }

  /** Turns in use and waiting, for tests and metrics. */
  stats(): { active: number; waiting: number } {
    let active = 0;
    let waiting = 0;
    for (const n of this.active.values()) active += n;
    for (const q of this.waiting.values()) waiting += q.length;
    return { active, waiting };
  }

  private releaser(client: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      setImmediate(() => this.handOn(client));
    };
  }

  private handOn(client: string): void {
    const queue = this.waiting.get(client);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.waiting.delete(client);
    if (next) {
      next(); // the turn passes straight to the next waiter of the same client
      return;
    }
    const inUse = (this.active.get(client) ?? 1) - 1;
    if (inUse <= 0) this.active.delete(client);
    else this.active.set(client, inUse);
  }
}
