import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { encodeXacmlQuery } from '@gridauthz/protocols';
import { fixturePki, proxyIdentity, readFixture, userIdentity } from '../support/fixtures';
import { Agent, request } from 'node:https';
import { askPdp } from '../support/pdp-client';
import { databaseLabel, usingPostgres } from '../support/test-database';
import { startTestServer, TEST_LIMITS, type TestServer } from '../support/test-server';

/**
 * Issue 15 finding 4, the fast version for CI (the heavy one is `npm run bench -- overload`): silent and slow
 * connections and a locked table do not stop legitimate decisions, during or after (docs/operations.md,
 * "Overload and limits").
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ask = (t: TestServer) => askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });

describe(`PDP under connection floods (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ config: { limits: { ...TEST_LIMITS, maxUnauthenticatedConnections: 100, handshakeTimeoutMs: 1000, requestTimeoutMs: 2000 } } });
  });
  afterAll(async () => t?.close());
  const port = () => Number(new URL(t.server.pdpUrl).port);

  it('300 silent TCP connections neither stop decisions nor outlive the timeout', async () => {
    expect((await ask(t)).answer?.decision).toBe('Permit');
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 300; i += 1) {
      const s = netConnect(port(), '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
      closed.push(new Promise((r) => s.on('close', () => r())));
    }
    await sleep(100);
    // During the flood: the oldest silent connections make room for real clients.
    const during = await Promise.all(Array.from({ length: 5 }, () => ask(t)));
    expect(during.map((d) => d.answer?.decision)).toEqual(Array(5).fill('Permit'));
    // Every silent connection is closed by the server within the timeout (1 s, checked every second).
    const started = Date.now();
    await Promise.all(closed);
    expect(Date.now() - started).toBeLessThan(3000);
    const after = await ask(t);
    expect(after.answer?.decision).toBe('Permit');
    const metrics = await (await fetch(`${t.server.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(/gridauthz_overload_events_total\{event="unauthenticated-evicted"\} [1-9]/);
    expect(metrics).toMatch(/gridauthz_open_files\{kind="limit"\} \d+/);
    const ready = await fetch(`${t.server.managementUrl}/readyz`);
    expect(ready.status).toBe(200);
  });

  /** One POST on `agent`, resolving (never rejecting) once answered or failed. */
  const post = (agent: Agent, identity: { cert: string; key: string }, body: string) =>
    new Promise<void>((resolve) => {
      const r = request(`${t.server.pdpUrl}/`, { method: 'POST', agent, ca: t.ca, servername: 'localhost', cert: identity.cert, key: identity.key }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      r.on('error', () => resolve());
      r.end(body);
    });

  it('four greedy clients sending maximal bodies do not starve a legitimate client', async () => {
    const pki = fixturePki();
    const greedy = [userIdentity('alice'), userIdentity('bob'), { cert: readFixture(pki.host.certFile), key: readFixture(pki.host.keyFile) }, proxyIdentity('bob-voms')];
    const query = encodeXacmlQuery({ dialect: 'authz-interop', subjectChainPem: readFixture(pki.proxies['alice-voms']?.file ?? ''), subjectDn: pki.proxies['alice-voms']?.identity ?? '', now: new Date(), idGenerator: randomUUID });
    // A valid query padded to just under pdp.bodyLimit, and a parser-heavy body of 60,000 sibling elements.
    const big = `${query.body}<!--${'x'.repeat(250_000 - Buffer.byteLength(query.body))}-->`;
    const siblings = `<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><a>${'<b/>'.repeat(60_000)}</a></s:Body></s:Envelope>`;
    const stopAt = Date.now() + 4000;
    // Keep-alive, as a greedy client would: the test process hosts clients and server, so fresh handshakes on the
    // client side would measure this process's CPU rather than the server's fairness.
    const loops = greedy.flatMap((identity) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 2 });
      return [big, siblings].map(async (body) => {
        let n = 0;
        while (Date.now() < stopAt) {
          await post(agent, identity, body);
          n += 1;
        }
        agent.destroy();
        return n;
      });
    });
    await sleep(300);
    const latencies: number[] = [];
    while (Date.now() < stopAt) {
      const started = performance.now();
      const answer = await ask(t);
      latencies.push(performance.now() - started);
      expect(answer.answer?.decision).toBe('Permit');
    }
    const greedyAnswers = (await Promise.all(loops)).reduce((a, b) => a + b, 0);
    latencies.sort((a, b) => a - b);
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1] ?? Infinity;
    expect(greedyAnswers).toBeGreaterThan(8);
    expect(latencies.length).toBeGreaterThanOrEqual(2);
    // Clients and server share this process (and a busy CI box), so the bound is looser than the 1 s the bench
    // scenario shows with separate processes; before per-client turns and the element cap it was ~11 s (issue 15).
    expect(p99).toBeLessThan(2500);
  });

  it('a slow body times out even with a valid client certificate', async () => {
    const alice = userIdentity('alice');
    const socket = tlsConnect({ host: '127.0.0.1', port: port(), cert: alice.cert, key: alice.key, rejectUnauthorized: false });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now())));
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('secureConnect', r));
    const started = Date.now();
    socket.write('POST / HTTP/1.1\r\nHost: pdp\r\nContent-Type: text/xml\r\nContent-Length: 5000\r\n\r\n<soap');
    const end = await closed;
    expect(end - started).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('refuses a caller without a certificate as soon as its request head is in, without waiting for the body', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: port(), rejectUnauthorized: false });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now())));
    await new Promise((r) => socket.once('secureConnect', r));
    const started = Date.now();
    socket.write('POST / HTTP/1.1\r\nHost: pdp\r\nContent-Type: text/xml\r\nContent-Length: 200000\r\n\r\n<soap');
    const end = await closed;
    expect(end - started).toBeLessThan(1000);
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('CRED_NO_CERTIFICATE');
  });

  it('closes the connection of a refused caller after the answer instead of keeping it alive', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: port(), rejectUnauthorized: false });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    await new Promise((r) => socket.once('secureConnect', r));
    socket.write('GET /status HTTP/1.1\r\nHost: pdp\r\n\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer.toLowerCase()).toContain('connection: close');
  });
});

describe.skipIf(!usingPostgres())(`PDP with a locked table (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ config: { limits: { ...TEST_LIMITS, requestDeadlineMs: 1000 } } });
  });
  afterAll(async () => t?.close());

  /** Holds `table` locked (ACCESS EXCLUSIVE) from another connection for `ms`. */
  async function lockFor(table: string, ms: number): Promise<() => Promise<void>> {
    // The test storage's URL pins the search path to this file's schema.
    const client = new Client({ connectionString: t.config.database.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    const release = async () => {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    };
    const timer = setTimeout(() => void release(), ms);
    return async () => {
      clearTimeout(timer);
      await release();
    };
  }

  it('answers Indeterminate within the deadline while the lease table is locked, takes no lease, and Permits right after', async () => {
    const unlock = await lockFor('lease', 3000);
    const started = Date.now();
    const stuck = await ask(t);
    const took = Date.now() - started;
    expect(stuck.http.status).toBe(200);
    expect(stuck.answer?.decision).toBe('Indeterminate');
    expect(took).toBeLessThan(1800);
    await unlock();
    const leasesAfterTimeout = await t.server.database()?.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM lease');
    expect(Number(leasesAfterTimeout?.[0]?.n)).toBe(0);
    const after = await ask(t);
    expect(after.answer?.decision).toBe('Permit');
    const records = await t.server.database()?.dataSource.query<{ decision: string; reasons: string[] }[]>('SELECT decision, reasons FROM decision_record ORDER BY decided_at');
    expect(records?.some((r) => r.decision === 'Indeterminate' && JSON.stringify(r.reasons).includes('OVERLOAD_DEADLINE_EXCEEDED'))).toBe(true);
  });

  it('answers Indeterminate within the deadline while decision_record is locked, then Permits again', async () => {
    const unlock = await lockFor('decision_record', 3000);
    const started = Date.now();
    const stuck = await ask(t);
    expect(stuck.answer?.decision).toBe('Indeterminate');
    expect(Date.now() - started).toBeLessThan(1800);
    await unlock();
    expect((await ask(t)).answer?.decision).toBe('Permit');
    expect((await fetch(`${t.server.managementUrl}/readyz`)).status).toBe(200);
  });
});
