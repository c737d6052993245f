import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * The embedded database: PGlite in a data directory, served over the Postgres wire protocol on a Unix socket
 * inside that directory, so the application talks to it through pg exactly as it talks to PostgreSQL.
 *
 * PGlite runs one session. The socket server multiplexes clients onto it, which would interleave
 * transactions, so it accepts one connection and the application's pool holds exactly that one: concurrent
 * transactions queue in the pool and each runs alone, which keeps SELECT … FOR UPDATE SKIP LOCKED honest.
 * PGlite also has no cross-process locking, so a lock file keeps a second process out of the directory.
 */
export class EmbeddedPostgres {
  private constructor(
    readonly dataDir: string,
    readonly socketDir: string,
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lockFile: string,
  ) {}

  static readonly SOCKET_PORT = 5432;

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lockFile = join(dataDir, 'gridauthz.lock');
    acquireLock(lockFile);
    const socketDir = join(dataDir, 'run');
    mkdirSync(socketDir, { recursive: true });
    const socketPath = join(socketDir, `.s.PGSQL.${EmbeddedPostgres.SOCKET_PORT}`);
    rmSync(socketPath, { force: true }); // left behind by a process that died; the lock proves it is gone
    let db: PGlite | undefined;
    try {
      db = await PGlite.create(join(dataDir, 'pgdata'));
      const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
      await server.start();
      return new EmbeddedPostgres(dataDir, socketDir, db, server, lockFile);
    } catch (err) {
      await db?.close().catch(() => undefined);
      rmSync(lockFile, { force: true });
      throw err;
    }
  }

  /** pg connection settings for the socket (pg builds `<host>/.s.PGSQL.<port>` from these). */
  connectionOptions(): { host: string; port: number; username: string; database: string } {
    return { host: this.socketDir, port: EmbeddedPostgres.SOCKET_PORT, username: 'postgres', database: 'postgres' };
  }

  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      rmSync(this.lockFile, { force: true });
    }
  }
}

function acquireLock(lockFile: string): void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new Error(
          `the embedded database in ${lockFile.replace(/\/gridauthz\.lock$/, '')} is in use by process ${holder}; ` +
            'PGlite serves one process only — stop that process, or set DATABASE_URL to share a PostgreSQL server',
          { cause: err },
        );
      }
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
