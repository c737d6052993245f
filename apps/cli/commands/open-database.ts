import { Database } from '@gridauthz/persistence';
import { MIGRATIONS } from '../../../migrations';
import type { Config } from '../../server/config';
import { createLogger, describeDatabaseUrl } from '../../server/logging/logger';
import { CliError } from '../cli-error';
import { verboseNote } from '../cli-verbose';

/**
 * Opens the configured database (PostgreSQL or the embedded one) for a CLI command, failing with exit code 69 and
 * the target named; unless told otherwise it also refuses a schema with pending migrations. While a server runs on
 * the embedded database, the command goes through the socket that server serves (`--verbose` says which path).
 */
export async function openDatabase(config: Config, options: { requireCurrentSchema?: boolean } = {}): Promise<{ db: Database; target: string }> {
  const log = createLogger({ log: { level: config.log.level === 'info' ? 'warn' : config.log.level, format: config.log.format } });
  const target = config.database.url ? describeDatabaseUrl(config.database.url) : `embedded database in ${config.database.dataDir}`;
  try {
    const db = await Database.open({ url: config.database.url, dataDir: config.database.dataDir, migrations: MIGRATIONS, log, acquireTimeoutMs: 10_000, joinRunning: true });
    verboseNote(`database: ${db.via}`);
    if (options.requireCurrentSchema !== false && (await db.pendingMigrations())) {
      await db.close();
      throw new CliError(`${target} has pending migrations; run \`gridauthz migrate\` first`, 69);
    }
    return { db, target };
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot open ${target}: ${(err as Error).message}`, 69);
  }
}
