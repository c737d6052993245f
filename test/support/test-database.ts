import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../migrations';
import { ensurePgliteTemplate } from './pglite-template';

export const usingPostgres = (): boolean => (process.env.DATABASE_URL ?? '') !== '';
export const databaseLabel = (): string => (usingPostgres() ? 'postgres' : 'pglite');

export interface TestDatabase {
  readonly db: Database;
  /** For a second process or connection: the URL (Postgres, with the test schema) or the data dir (PGlite). */
  readonly url: string | undefined;
  readonly dataDir: string;
  close(): Promise<void>;
}

/**
 * A database of its own for one test file: on PostgreSQL (DATABASE_URL) a fresh schema, on PGlite a fresh
 * data directory. Migrations are applied unless `migrate: false`.
 */
/** Storage of its own for one test: a fresh schema on PostgreSQL, a fresh (template-copied) data dir on PGlite. */
export interface TestStorage {
  readonly url: string | undefined;
  readonly dataDir: string;
  dispose(): Promise<void>;
}

export async function createTestStorage(): Promise<TestStorage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gridauthz-db-'));
  let url: string | undefined;
  let schema: string | undefined;
  if (usingPostgres()) {
    schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const parsed = new URL(process.env.DATABASE_URL as string);
    parsed.searchParams.set('options', `-c search_path=${schema}`);
    url = parsed.toString();
  } else {
    cpSync(await ensurePgliteTemplate(), join(dataDir, 'pgdata'), { recursive: true });
  }
  return {
    url,
    dataDir,
    async dispose() {
      if (schema) {
        const admin = new Client({ connectionString: process.env.DATABASE_URL });
        await admin.connect();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A database of its own for one test file: on PostgreSQL (DATABASE_URL) a fresh schema, on PGlite a fresh
 * data directory. Migrations are applied unless `migrate: false`.
 */
export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const storage = await createTestStorage();
  const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog, poolSize: 20 });
  if (options.migrate !== false) await db.migrate();
  return {
    db,
    url: storage.url,
    dataDir: storage.dataDir,
    async close() {
      await db.close();
      await storage.dispose();
    },
  };
}
