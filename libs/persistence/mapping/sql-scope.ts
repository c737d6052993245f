import type { EntityManager } from 'typeorm';
import { Database } from '../database/database';

/**
 * Where a store's statements run: a transaction of its own per call (a Database), or a transaction the caller
 * already opened (an EntityManager), so that an import writes configuration, bans and leases all or nothing.
 */
export class SqlScope {
  private constructor(
    private readonly db: Database | undefined,
    private readonly manager: EntityManager | undefined,
  ) {}

  static of(target: Database | EntityManager): SqlScope {
    return target instanceof Database ? new SqlScope(target, undefined) : new SqlScope(undefined, target);
  }

  /** True when bound to the caller's transaction: a failed statement aborts it, so nothing may be retried here. */
  get shared(): boolean {
    return this.manager !== undefined;
  }

  /** Runs `work` in one transaction (the caller's, when shared). */
  run<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    if (this.manager) return work(this.manager);
    return (this.db as Database).transaction(work);
  }

  /**
   * Runs `work` in a transaction of its own, retrying a bounded number of times when the database reports a race
   * it resolved by aborting us: a unique violation (another replica inserted the same live lease first), a
   * serialization failure or a deadlock. The whole transaction is retried, so each attempt sees fresh state.
   */
  async runWithRetry<T>(work: (m: EntityManager) => Promise<T>, attempts = 8): Promise<T> {
    if (this.shared) return this.run(work);
    return retrying(() => this.run(work), attempts);
  }

  /**
   * One statement, retried like runWithRetry. On a Database it is sent alone, without BEGIN/COMMIT: a single
   * statement is atomic in the transaction the server opens for it, so an explicit one would only add two round
   * trips. Each retry is a new statement and so sees fresh state. In the caller's transaction it simply runs there.
   */
  queryWithRetry<T>(sql: string, params: readonly unknown[], attempts = 8): Promise<T> {
    if (this.manager) return this.manager.query<T>(sql, [...params]);
    const db = this.db as Database;
    return retrying(() => db.query<T>(sql, params), attempts);
  }
}

async function retrying<T>(attempt: () => Promise<T>, attempts: number): Promise<T> {
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= attempts || !isRetryable(err)) throw err;
      // Jittered, growing back-off so racing replicas do not collide again in lock step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * n));
    }
  }
}

const RETRYABLE = new Set(['23505', '40001', '40P01']);

/** SQLSTATE of a pg error, as TypeORM's QueryFailedError or as the raw driver error. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const direct = (err as { code?: unknown }).code;
  if (typeof direct === 'string') return direct;
  const driver = (err as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof driver === 'string' ? driver : undefined;
}

function isRetryable(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && RETRYABLE.has(state);
}

/** pg returns bigint and numeric columns as strings; the ports use numbers within the safe integer range. */
export function toInt(value: unknown, column: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`column ${column}: expected an integer, got ${String(value)}`);
  return n;
}

/** timestamptz arrives as a Date from pg; anything else means the query is wrong. */
export function toDate(value: unknown, column: string): Date {
  if (value instanceof Date) return value;
  throw new Error(`column ${column}: expected a timestamp, got ${String(value)}`);
}

/** The part of Database the repositories use, so one can run in a caller's transaction (an audited change). */
export interface DatabaseLike {
  readonly dataSource: { query<T = unknown>(sql: string, params?: unknown[]): Promise<T> };
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;
}

/** A Database as is, or an EntityManager posing as one: its statements and "transactions" run in the caller's. */
export function databaseLike(target: Database | EntityManager): DatabaseLike {
  if (target instanceof Database) return target;
  return { dataSource: { query: <T>(sql: string, params?: unknown[]) => target.query<T>(sql, params) }, transaction: (work) => work(target) };
}
