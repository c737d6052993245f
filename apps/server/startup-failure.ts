/**
 * Exit codes of `gridauthz serve` when it cannot start (README "Exit codes"); sysexits(3) numbers, so service
 * managers and scripts can tell a configuration mistake from an outage.
 */
export const EXIT = {
  /** A file or value of the configuration: CA directory missing, host key unreadable, bad setting. */
  config: 78,
  /** The database: unreachable past database.connectRetrySeconds, or the embedded one held by another process. */
  database: 69,
  /** The database schema is older than this release (pending migrations): run `gridauthz migrate`. */
  schema: 65,
  /** A listener could not bind: port in use, address not on this host, no permission for the port. */
  listen: 71,
  /** A bug: an unexpected failure (the stack trace goes to the log). */
  internal: 70,
} as const;

/** A start-up failure with its one-line cause and exit code. */
export class StartupFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'StartupFailure';
  }
}

/** Turns a listen() error into the one line an operator needs: which listener, which address, why. */
export function listenFailure(listener: string, key: string, host: string, port: number, err: unknown): StartupFailure {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} is in use (${where}); stop what holds it or set ${key}`
      : code === 'EADDRNOTAVAIL'
        ? `address ${host} is not on this host (${where})`
        : code === 'EACCES'
          ? `no permission to listen on ${where}`
          : `cannot listen on ${where}: ${(err as Error).message}`;
  return new StartupFailure(`${listener} listener: ${why}`, EXIT.listen);
}

/**
 * Binds and releases each listener's address: the supervisor runs this before it forks, so a port in use ends
 * `serve --workers N` at once instead of after N workers have loaded (the workers still report a later clash).
 */
export async function probeListeners(listeners: readonly { listener: string; key: string; host: string; port: number }[]): Promise<void> {
  const { createServer } = await import('node:net');
  for (const l of listeners) {
    await new Promise<void>((resolve, reject) => {
      const server = createServer();
      server.once('error', (err) => reject(listenFailure(l.listener, l.key, l.host, l.port, err)));
      server.listen({ host: l.host, port: l.port, exclusive: true }, () => server.close(() => resolve()));
    });
  }
}
