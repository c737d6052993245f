import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

/**
 * Serves one PGlite session to several wire-protocol clients on a Unix socket, one client's unit of work at a time.
 *
 * PGlite has a single backend session. pglite-socket 0.2's multiplexer hands the session to whichever client sent
 * the next message unless PGlite is inside an explicit BEGIN block; between a client's Parse and its Bind (pg sends
 * every parameterised query as Parse/Bind/Execute/Sync in an implicit transaction) another client's Parse can slip
 * in and replace the unnamed statement. So the session is leased here per unit of work instead: a client takes it
 * with its first message and keeps it until the backend answers ReadyForQuery with status idle ('I'), which is the
 * protocol's own statement that no transaction and no extended-query sequence is open (see docs/operations.md,
 * "The embedded database and the CLI"). Other clients' messages wait, in arrival order.
 *
 * A client that disappears while holding the session gets its sequence closed (Sync) and its transaction rolled
 * back; a client that holds it idle longer than `holdTimeoutMs` while others wait is disconnected, so a stuck
 * CLI cannot stall the server's decisions forever. Session state that outlives a unit of work (SET, session advisory
 * locks, named statements) would leak between clients: gridauthz uses none of them on the embedded database.
 */
export class PgliteSessionServer {
  private server: Server | undefined;
  private owner: SessionClient | undefined;
  private readonly waiting: { client: SessionClient; grant: () => void }[] = [];
  private readonly clients = new Set<SessionClient>();

  constructor(
    private readonly db: PGlite,
    private readonly path: string,
    private readonly options: { maxConnections?: number; holdTimeoutMs?: number } = {},
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections ?? 16;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Owner only: the directory is 0700 already; the socket itself says the same.
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    // Let the disconnect clean-ups (rollbacks) finish before the caller closes PGlite.
    while (this.owner) await new Promise((r) => setTimeout(r, 5));
  }

  connectionCount(): number {
    return this.clients.size;
  }

  private accept(socket: Socket): void {
    const client = new SessionClient(socket, this);
    this.clients.add(client);
    socket.on('close', () => {
      this.clients.delete(client);
      void this.disconnected(client);
    });
    socket.on('error', () => socket.destroy());
  }

  /** Waits until `client` holds the session. */
  async acquire(client: SessionClient): Promise<void> {
    if (this.owner === client) return;
    if (!this.owner) {
      this.grant(client);
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push({ client, grant: resolve }));
  }

  release(client: SessionClient): void {
    if (this.owner !== client) return;
    client.clearHoldTimer();
    this.owner = undefined;
    const next = this.waiting.shift();
    if (next) {
      this.grant(next.client);
      next.grant();
    }
  }

  private grant(client: SessionClient): void {
    this.owner = client;
    client.armHoldTimer(this.options.holdTimeoutMs ?? 30_000, () => this.waiting.length > 0);
  }

  /** One protocol message through the session; the caller holds it. */
  async exec(message: Uint8Array): Promise<Uint8Array> {
    return this.db.runExclusive(() => this.db.execProtocolRaw(message));
  }

  private async disconnected(client: SessionClient): Promise<void> {
    const queued = this.waiting.findIndex((w) => w.client === client);
    if (queued >= 0) this.waiting.splice(queued, 1)[0]?.grant(); // wakes its loop, which sees the socket gone
    if (this.owner !== client) return;
    try {
      // Close any extended-query sequence (the backend skips everything until Sync after an error), then end the
      // transaction the client left open.
      const status = readyStatus(await this.exec(SYNC));
      if (status !== 'I') await this.exec(simpleQuery('ROLLBACK'));
    } catch {
      // PGlite closed under us (shutdown): nothing left to clean.
    } finally {
      this.release(client);
    }
  }
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

class SessionClient {
  private buffer: Buffer = Buffer.alloc(0);
  private started = false;
  private readonly pending: Buffer[] = [];
  private running = false;
  private holdTimer: NodeJS.Timeout | undefined;
  private lastActive = Date.now();

  constructor(
    readonly socket: Socket,
    private readonly session: PgliteSessionServer,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.frame();
      void this.drain();
    });
  }

  armHoldTimer(ms: number, othersWaiting: () => boolean): void {
    this.clearHoldTimer();
    this.lastActive = Date.now();
    const check = (): void => {
      const idleMs = Date.now() - this.lastActive;
      if (!this.running && this.pending.length === 0 && idleMs >= ms && othersWaiting()) {
        this.socket.destroy(); // close → disconnected() rolls back and hands the session on
        return;
      }
      this.holdTimer = setTimeout(check, Math.max(ms - idleMs, 50));
      this.holdTimer.unref();
    };
    this.holdTimer = setTimeout(check, ms);
    this.holdTimer.unref();
  }

  clearHoldTimer(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  /** Splits the byte stream into whole protocol messages. */
  private frame(): void {
    for (;;) {
      if (!this.started) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (length < 8 || length > 10_000) {
          this.socket.destroy();
          return;
        }
        if (this.buffer.length < length) return;
        const message = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        const code = message.readInt32BE(4);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          this.socket.write('N'); // no encryption on a local socket; the client goes on with its startup
          continue;
        }
        if (code === CANCEL_REQUEST) {
          this.socket.destroy(); // not supported: one session, nothing to cancel separately
          return;
        }
        this.started = true;
        this.pending.push(Buffer.from(message));
        continue;
      }
      if (this.buffer.length < 5) return;
      const length = 1 + this.buffer.readInt32BE(1);
      if (length < 5) {
        this.socket.destroy();
        return;
      }
      if (this.buffer.length < length) return;
      this.pending.push(Buffer.from(this.buffer.subarray(0, length)));
      this.buffer = this.buffer.subarray(length);
    }
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0 && !this.socket.destroyed) {
        const message = this.pending.shift() as Buffer;
        if (message[0] === 0x58 /* Terminate */) {
          this.socket.end();
          return;
        }
        await this.session.acquire(this);
        if (this.socket.destroyed) return;
        const reply = await this.session.exec(message);
        this.lastActive = Date.now();
        if (reply.length > 0 && this.socket.writable) this.socket.write(reply);
        if (readyStatus(reply) === 'I') this.session.release(this);
      }
    } catch {
      this.socket.destroy();
    } finally {
      this.running = false;
    }
  }
}

/** The status byte of the last ReadyForQuery ('Z') in a backend reply, if it has one. */
export function readyStatus(reply: Uint8Array): 'I' | 'T' | 'E' | undefined {
  const bytes = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  let status: 'I' | 'T' | 'E' | undefined;
  let at = 0;
  while (at + 5 <= bytes.length) {
    const type = bytes[at];
    const length = bytes.readInt32BE(at + 1);
    if (length < 4) break;
    if (type === 0x5a && length === 5 && at + 6 <= bytes.length) status = String.fromCharCode(bytes[at + 5] as number) as 'I' | 'T' | 'E';
    at += 1 + length;
  }
  return status;
}

function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51;
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}
