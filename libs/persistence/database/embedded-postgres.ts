import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PgliteSessionServer } from './pglite-session-server';

/**
 * The embedded database: PGlite in a data directory, served over the Postgres wire protocol on a Unix socket
 * inside that directory, so the application talks to it through pg exactly as it talks to PostgreSQL.
 *
 * PGlite runs one session. The process that opened it (the lock file names it) serves that session on
 * `<dataDir>/run/.s.PGSQL.5432` (directory 0700, socket 0600: the data directory's owner only) to its own pool and
 * to CLI commands run while it is up; PgliteSessionServer hands the session to one client's transaction at a time,
 * so transactions never interleave. The application's own pool holds one connection, so its concurrent
 * transactions queue in the pool, which keeps SELECT … FOR UPDATE SKIP LOCKED honest. PGlite has no cross-process
 * locking, so the lock file keeps a second process from opening the directory itself: it connects to the socket.
 */
export class EmbeddedPostgres {
  private constructor(
    readonly dataDir: string,
    readonly socketDir: string,
    private readonly db: PGlite,
    private readonly server: PgliteSessionServer,
    private readonly lockFile: string,
  ) {}

  static readonly SOCKET_PORT = 5432;

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lockFile = join(dataDir, 'gridauthz.lock');
    acquireLock(lockFile);
    const socketDir = join(dataDir, 'run');
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    chmodSync(socketDir, 0o700); // an older release made it with the umask's mode
    const socketPath = join(socketDir, `.s.PGSQL.${EmbeddedPostgres.SOCKET_PORT}`);
    rmSync(socketPath, { force: true }); // left behind by a process that died; the lock proves it is gone
    let db: PGlite | undefined;
    try {
      db = await PGlite.create(join(dataDir, 'pgdata'));
      const server = new PgliteSessionServer(db, socketPath);
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
    return EmbeddedPostgres.socketOptions(this.socketDir);
  }

  static socketOptions(socketDir: string): { host: string; port: number; username: string; database: string } {
    return { host: socketDir, port: EmbeddedPostgres.SOCKET_PORT, username: 'postgres', database: 'postgres' };
  }

  /**
   * Where another process serves the embedded database in dataDir, if one does: its pid and the pg connection
   * settings of its socket. Undefined when no live process holds the lock or it serves no socket.
   */
  static servedBy(dataDir: string): { pid: number; socketPath: string; options: ReturnType<typeof EmbeddedPostgres.socketOptions> } | undefined {
    const holder = lockHolder(join(dataDir, 'gridauthz.lock'));
    if (holder === undefined || holder === process.pid || !processAlive(holder)) return undefined;
    const socketDir = join(dataDir, 'run');
    const socketPath = join(socketDir, `.s.PGSQL.${EmbeddedPostgres.SOCKET_PORT}`);
    if (!existsSync(socketPath)) return undefined;
    return { pid: holder, socketPath, options: EmbeddedPostgres.socketOptions(socketDir) };
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
      const holder = lockHolder(lockFile);
      if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
        throw new EmbeddedDatabaseBusy(lockFile.replace(/\/gridauthz\.lock$/, ''), holder);
      }
      rmSync(lockFile, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

/** Another live process has the embedded database open (and serves it on its socket, if it is a server). */
export class EmbeddedDatabaseBusy extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${pid}; ` +
        'stop that process, or set DATABASE_URL to share a PostgreSQL server',
    );
    this.name = 'EmbeddedDatabaseBusy';
  }
}

function lockHolder(lockFile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
