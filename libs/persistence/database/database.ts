import type { Pool, QueryResultRow } from 'pg';
import { DataSource, type EntityManager, type MixedList } from 'typeorm';
import type { LogSink } from '@gridauthz/domain';
import { EmbeddedDatabaseBusy, EmbeddedPostgres } from './embedded-postgres';

export interface DatabaseOptions {
  /** postgres:// URL; absent means the embedded database in dataDir. */
  readonly url?: string | undefined;
  readonly dataDir: string;
  /** Pool size for PostgreSQL; the embedded database always uses one connection. */
  readonly poolSize?: number;
  // TypeORM's own option type for migration classes.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations: MixedList<Function>;
  readonly log: LogSink;
  /** How long a caller may wait for a pooled connection before the query fails (ms). */
  readonly acquireTimeoutMs?: number;
  /**
   * PostgreSQL statement_timeout and lock_timeout of every pooled connection (ms), for a serving process: a stuck
   * lock then fails the statement instead of holding the request and its connection (docs/operations.md,
   * "Overload and limits"). Unset for migrations and the CLI. Not applied to the embedded database.
   */
  readonly statementTimeoutMs?: number;
  /**
   * Embedded database only: when a running server holds it, connect to the socket that server serves instead of
   * failing (CLI commands). A server never joins another server's database.
   */
  readonly joinRunning?: boolean;
}

/**
 * One database handle for the process: a TypeORM DataSource over pg, pointed at PostgreSQL or at the
 * embedded PGlite socket. The schema comes only from migrations; synchronize is never on.
 */
export class Database {
  private constructor(
    readonly dataSource: DataSource,
    readonly kind: 'postgres' | 'embedded',
    private readonly embedded: EmbeddedPostgres | undefined,
    /** How this process reaches the database, in words (`--verbose`, logs). */
    readonly via: string,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    let embedded: EmbeddedPostgres | undefined;
    let served: ReturnType<typeof EmbeddedPostgres.servedBy>;
    if (!options.url) {
      try {
        embedded = await EmbeddedPostgres.start(options.dataDir);
      } catch (err) {
        served = err instanceof EmbeddedDatabaseBusy && options.joinRunning ? EmbeddedPostgres.servedBy(options.dataDir) : undefined;
        if (!served) throw err;
      }
    }
    const via = options.url
      ? 'postgresql'
      : served
        ? `embedded PGlite in ${options.dataDir}, served by the running server (pid ${served.pid}) on ${served.socketPath}`
        : `embedded PGlite in ${options.dataDir}, opened by this process`;
    const acquireTimeoutMs = options.acquireTimeoutMs ?? 15_000;
    try {
      const dataSource = new DataSource({
        type: 'postgres',
        ...(embedded ? embedded.connectionOptions() : served ? served.options : { url: options.url }),
        poolSize: options.url ? (options.poolSize ?? 10) : 1,
        synchronize: false,
        migrationsRun: false,
        migrationsTransactionMode: 'each',
        migrations: options.migrations,
        entities: [],
        logging: false,
        extra: {
          connectionTimeoutMillis: acquireTimeoutMs,
          application_name: 'gridauthz',
          ...(options.statementTimeoutMs !== undefined && !embedded ? { statement_timeout: options.statementTimeoutMs, lock_timeout: options.statementTimeoutMs } : {}),
        },
      });
      await dataSource.initialize();
      options.log.info({ database: via }, 'database connected');
      return new Database(dataSource, options.url ? 'postgres' : 'embedded', embedded, via);
    } catch (err) {
      await embedded?.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Applies pending migrations; returns their names. */
  async migrate(): Promise<string[]> {
    const applied = await this.dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  }

  /** Reverts the most recent migration; returns false when none was applied. */
  async revertLast(): Promise<boolean> {
    const before = await this.appliedMigrations();
    if (before.length === 0) return false;
    await this.dataSource.undoLastMigration({ transaction: 'each' });
    return true;
  }

  async appliedMigrations(): Promise<string[]> {
    const exists = await this.dataSource.query<{ present: boolean }[]>(
      `SELECT to_regclass('migrations') IS NOT NULL AS present`,
    );
    if (!exists[0]?.present) return [];
    const rows = await this.dataSource.query<{ name: string }[]>(`SELECT name FROM migrations ORDER BY id`);
    return rows.map((r) => r.name);
  }

  async pendingMigrations(): Promise<boolean> {
    return this.dataSource.showMigrations();
  }

  /** True when a round trip to the database succeeds within the timeout. */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      });
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connections of this process's pool (pg), for metrics; undefined if the driver hides them. */
  poolStats(): { total: number; idle: number; waiting: number } | undefined {
    const pool = (this.dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
    return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : undefined;
  }

  /**
   * One statement in autocommit as a named prepared statement on the driver's pool: each connection parses and
   * plans it once, then reuses the plan. For the per-decision statements, where planning a CTE cost more than
   * running it. `name` must identify `sql` for the life of the process.
   */
  async preparedQuery<T extends QueryResultRow>(name: string, sql: string, params: readonly unknown[]): Promise<T[]> {
    const pool = (this.dataSource.driver as unknown as { master?: Pool }).master;
    // On the embedded database every client shares one backend session, so a named statement of this process would
    // be visible to (and could collide with) a CLI command's: there it runs unnamed, as every other query does.
    if (!pool || this.kind === 'embedded') return this.dataSource.query<T[]>(sql, [...params]);
    const result = await pool.query<T>({ name, text: sql, values: [...params] });
    return result.rows;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * A transaction free of the serving connections' statement and lock timeouts (statementTimeoutMs), for work that
   * may rightly take longer than a request: retention and expiry jobs, large imports. Same as `transaction` when no
   * timeout was set or on the embedded database.
   */
  maintenanceTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      if (this.kind === 'postgres') {
        await manager.query('SET LOCAL statement_timeout = 0');
        await manager.query('SET LOCAL lock_timeout = 0');
      }
      return work(manager);
    });
  }

  /**
   * Sends one statement on a pooled connection with no BEGIN/COMMIT around it: the statement runs in a transaction
   * of its own that commits, or rolls back whole, when it ends. One round trip where `transaction` needs three.
   */
  query<T>(sql: string, params: readonly unknown[] = []): Promise<T> {
    return this.dataSource.query<T>(sql, [...params]);
  }

  async close(): Promise<void> {
    try {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      await this.embedded?.stop();
    }
  }
}
