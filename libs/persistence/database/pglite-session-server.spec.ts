import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteSessionServer, readyStatus } from './pglite-session-server';

/** Several pg clients on one PGlite session: each unit of work runs alone, whatever the interleaving of sends. */
describe('PgliteSessionServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridauthz-session-'));
  const socketPath = join(dir, '.s.PGSQL.5432');
  let db: PGlite;
  let server: PgliteSessionServer;
  const connect = async (): Promise<Client> => {
    const client = new Client({ host: dir, port: 5432, user: 'postgres', database: 'postgres' });
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, v text)');
    server = new PgliteSessionServer(db, socketPath, { holdTimeoutMs: 300 });
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the socket owner-only', () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
  });

  it('keeps parameterised queries of many clients apart (no Parse of one between Parse and Bind of another)', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, connect));
    try {
      const results = await Promise.all(
        clients.flatMap((c, i) => Array.from({ length: 20 }, (_, j) => c.query<{ n: number; tag: string }>(`SELECT $1::int AS n, '${i}' AS tag`, [i * 100 + j]).then((r) => ({ i, j, row: r.rows[0] })))),
      );
      for (const { i, j, row } of results) expect(row).toEqual({ n: i * 100 + j, tag: String(i) });
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('runs a second client only after the first one commits its transaction', async () => {
    const a = await connect();
    const b = await connect();
    try {
      await a.query('BEGIN');
      await a.query('INSERT INTO t VALUES (1, $1)', ['from a']);
      let bDone = false;
      const bRead = b.query<{ v: string }>('SELECT v FROM t WHERE id = $1', [1]).then((r) => {
        bDone = true;
        return r.rows;
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(bDone).toBe(false); // b waits: it must not run inside a's transaction
      await a.query('COMMIT');
      expect(await bRead).toEqual([{ v: 'from a' }]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('rolls back the transaction of a client that disconnects, and hands the session on', async () => {
    const a = await connect();
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES (2, $1)', ['lost']);
    const b = connect(); // its start-up waits for a's transaction
    await a.end(); // Terminate with the transaction still open
    const waiting = (await b).query<{ count: string }>('SELECT count(*)::text AS count FROM t WHERE id = 2');
    expect((await waiting).rows).toEqual([{ count: '0' }]);
    await (await b).end();
  });

  it('disconnects a client that holds a transaction idle while others wait', async () => {
    const a = await connect();
    a.on('error', () => undefined);
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES (3, $1)', ['idle']);
    const b = await connect();
    const started = Date.now();
    const { rows } = await b.query<{ count: string }>('SELECT count(*)::text AS count FROM t WHERE id = 3');
    expect(rows).toEqual([{ count: '0' }]);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(a.query('COMMIT')).rejects.toThrow();
    await b.end();
  });

  it('reads the status of the last ReadyForQuery', () => {
    const z = (s: string) => [0x5a, 0, 0, 0, 5, s.charCodeAt(0)];
    expect(readyStatus(Uint8Array.from([0x31, 0, 0, 0, 4, ...z('T'), ...z('I')]))).toBe('I');
    expect(readyStatus(Uint8Array.from([0x31, 0, 0, 0, 4]))).toBeUndefined();
    expect(readyStatus(Uint8Array.from(z('E')))).toBe('E');
  });
});
