import { execFileSync } from 'node:child_process';
import { createServer, type Server as HttpsServer } from 'node:https';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Decider } from '@gridauthz/decision';
import { Dn, silentLog, type AuthzResult } from '@gridauthz/domain';
import { decodePrimaResponse, encodePrimaRequest, encodeXacmlQuery } from '@gridauthz/protocols';
import { noMetrics, type OverloadEvent } from '../metrics/service-metrics';
import { AuthorizationService } from './authorization-service';
import { guardConnections, pdpListenerReadiness } from './connection-guard';
import { openFilesLimit, pdpMaxConnections } from './open-files';
import { ClientTurns, RequestDeadline } from './overload';
import { fixturePki, readFixture } from '../../../test/support/fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const caller = (cn: string) => ({ dn: Dn.fromSlash(`/DC=org/CN=${cn}`), viaProxy: false, limited: false, notAfter: new Date(Date.now() + 3_600_000), chainLength: 1 });

function query(): Buffer {
  const proxy = fixturePki().proxies.alice;
  if (!proxy) throw new Error('no fixture proxy alice');
  const q = encodeXacmlQuery({ dialect: 'authz-interop', subjectChainPem: readFixture(proxy.file), subjectDn: proxy.identity, resource: 'wn', action: 'execute', now: new Date(), idGenerator: () => '_q1' });
  return Buffer.from(q.body);
}

/** A decider that takes `ms` (or forever) and reports the deadline's decision id. */
function slowDecider(ms: number): Decider {
  return {
    async decide(_request: unknown, _now: Date, options?: { deadline?: { started(id: string): void } }) {
      options?.deadline?.started('d-slow');
      await sleep(ms);
      const result: AuthzResult = { decisionId: 'd-slow', decision: 'Permit', status: 'ok', obligations: [], reasons: [] };
      return { result, record: {} };
    },
  } as unknown as Decider;
}

function service(decider: Decider, limits: Partial<{ requestDeadlineMs: number; maxConcurrentDecisions: number }>, events: OverloadEvent[] = []) {
  return new AuthorizationService({
    decider: () => decider,
    issuer: 'pdp',
    limits: {},
    primaResource: 'ce',
    newId: () => '_id',
    clock: () => new Date(),
    metrics: { ...noMetrics, overload: (e) => void events.push(e) },
    requestLimits: { requestDeadlineMs: 5000, maxConcurrentDecisions: 256, expensiveBodyBytes: 32768, maxExpensivePerClient: 1, ...limits },
  });
}

describe('AuthorizationService under load', () => {
  it('answers Indeterminate at the deadline when the decision hangs (a stuck database)', async () => {
    const events: OverloadEvent[] = [];
    const s = service(slowDecider(10_000), { requestDeadlineMs: 300 }, events);
    const started = performance.now();
    const answer = await s.answer(query(), caller('Alice'), silentLog);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1500);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Indeterminate');
    expect(answer.body).toContain('urn:oasis:names:tc:xacml:1.0:status:processing-error');
    expect(events).toEqual(['deadline']);
  });

  it('answers a PRIMA query Indeterminate at the deadline too, in PRIMA', async () => {
    const s = service(slowDecider(10_000), { requestDeadlineMs: 300 });
    const prima = encodePrimaRequest({ subjectDn: '/DC=org/CN=Alice', resourceDn: '/DC=org/CN=Alice', now: new Date(), idGenerator: () => 'r1' });
    const answer = await s.answer(Buffer.from(prima.body), caller('Alice'), silentLog);
    expect(answer.status).toBe(200);
    const decoded = decodePrimaResponse(answer.body, prima.expect);
    expect(decoded.ok && decoded.value.decision).toBe('Indeterminate');
  });

  it('counts the deadline from arrival: a request that waited too long is shed with 503 before parsing', async () => {
    const s = service(slowDecider(0), { requestDeadlineMs: 300 });
    const answer = await s.answer(query(), caller('Alice'), silentLog, performance.now() - 1000);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('OVERLOAD_DEADLINE_EXCEEDED');
  });

  it('refuses beyond the concurrency bound at once with 503, and admits again when a slot frees', async () => {
    const events: OverloadEvent[] = [];
    const s = service(slowDecider(300), { maxConcurrentDecisions: 2 }, events);
    const first = [s.answer(query(), caller('A'), silentLog), s.answer(query(), caller('B'), silentLog)];
    const started = performance.now();
    const third = await s.answer(query(), caller('C'), silentLog);
    expect(performance.now() - started).toBeLessThan(100);
    expect(third.status).toBe(503);
    expect(third.body).toContain('OVERLOAD_TOO_MANY_DECISIONS');
    expect(events).toEqual(['busy']);
    expect((await Promise.all(first)).map((a) => a.status)).toEqual([200, 200]);
    expect((await s.answer(query(), caller('C'), silentLog)).status).toBe(200);
  });
});

describe('RequestDeadline', () => {
  it('waits for a lease commit under way instead of answering without it', async () => {
    const d = new RequestDeadline(performance.now() + 100, () => performance.now());
    const work = (async () => {
      expect(d.enterCommit()).toBe(true);
      await sleep(300);
      return 'committed';
    })();
    expect(await d.race(work, () => 'late')).toBe('committed');
    expect(d.expired).toBe(false);
    d.dispose();
  });

  it('refuses a commit once expired', async () => {
    const d = new RequestDeadline(performance.now() + 50, () => performance.now());
    expect(await d.race(sleep(200).then(() => 'done'), () => 'late')).toBe('late');
    expect(d.expired).toBe(true);
    expect(d.enterCommit()).toBe(false);
    expect(d.signal.aborted).toBe(true);
  });
});

describe('ClientTurns', () => {
  it('lets another client in at once while a greedy one waits for its own turns', async () => {
    const turns = new ClientTurns(1);
    const never = new AbortController().signal;
    const greedy = await turns.acquire('greedy', never);
    let second = false;
    const next = turns.acquire('greedy', never).then((r) => {
      second = true;
      return r;
    });
    const other = await turns.acquire('legit', never);
    expect(second).toBe(false);
    expect(turns.stats()).toEqual({ active: 2, waiting: 1 });
    greedy();
    (await next)();
    other();
    await sleep(5);
    expect(turns.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it('drops a waiter whose deadline passes', async () => {
    const turns = new ClientTurns(1);
    const hold = await turns.acquire('c', new AbortController().signal);
    const abort = new AbortController();
    const waiting = turns.acquire('c', abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow(/deadline/);
    expect(turns.stats()).toEqual({ active: 1, waiting: 0 });
    hold();
  });
});

describe('connection guard and listener readiness', () => {
  const pki = join(__dirname, '..', '..', '..', 'test', '.fixtures', 'pki');
  let server: HttpsServer | undefined;
  afterEach(() => server?.close());

  async function listen(options: { maxUnauthenticated: number; timeoutMs: number }, events: OverloadEvent[]) {
    server = createServer({ key: readFileSync(join(pki, 'hostkey.pem')), cert: readFileSync(join(pki, 'hostcert.pem')) }, (_req, res) => res.end('ok'));
    const guard = guardConnections(server, {
      maxUnauthenticated: options.maxUnauthenticated,
      unauthenticatedTimeoutMs: options.timeoutMs,
      metrics: { ...noMetrics, overload: (e) => void events.push(e) },
      log: silentLog as never,
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    return { guard, port };
  }

  it('closes the oldest silent connections beyond the cap, and the rest after the timeout', async () => {
    const events: OverloadEvent[] = [];
    const { guard, port } = await listen({ maxUnauthenticated: 5, timeoutMs: 400 }, events);
    const sockets = Array.from({ length: 8 }, () => connect(port, '127.0.0.1'));
    const closed = sockets.map((s) => new Promise<number>((r) => s.on('close', () => r(performance.now()))));
    await sleep(150);
    expect(guard.unauthenticated()).toBe(5);
    expect(events.filter((e) => e === 'unauthenticated-evicted')).toHaveLength(3);
    const started = performance.now();
    await Promise.all(closed);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(guard.unauthenticated()).toBe(0);
    expect(events.filter((e) => e === 'unauthenticated-timeout')).toHaveLength(5);
    guard.close();
  });

  it('is ready while the listener answers, and not after an accept error', async () => {
    const { guard, port } = await listen({ maxUnauthenticated: 5, timeoutMs: 1000 }, []);
    const check = pdpListenerReadiness({ host: '127.0.0.1', port: () => port, guard });
    expect(await check.check()).toMatchObject({ ok: true });
    server?.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
    expect(await check.check()).toMatchObject({ ok: false, detail: expect.stringMatching(/accept/) });
    guard.close();
  });

  it('is not ready when nothing answers on the port', async () => {
    const { guard, port } = await listen({ maxUnauthenticated: 5, timeoutMs: 1000 }, []);
    await new Promise((r) => server?.close(r));
    server = undefined;
    const check = pdpListenerReadiness({ host: '127.0.0.1', port: () => port, guard, timeoutMs: 500 });
    expect(await check.check()).toMatchObject({ ok: false });
    guard.close();
  });
});

describe('open-files limit', () => {
  it('is raised by Node itself from a low soft limit to the hard limit, which gridauthz relies on', () => {
    // docs/operations.md, "Overload and limits": only the hard limit needs setting (LimitNOFILE=).
    const script = `const m=/^Max open files\\s+(\\d+)\\s+(\\d+)/m.exec(require('fs').readFileSync('/proc/self/limits','utf8'));console.log(m[1]+' '+m[2])`;
    const out = execFileSync('bash', ['-c', `ulimit -Sn 512 && ulimit -Hn 2048 && exec "${process.execPath}" -e "${script}"`]).toString().trim();
    expect(out).toBe('2048 2048');
  });

  it('reads the soft and hard limits and sizes the connection cap below the soft one', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 4096                 files     \n';
    expect(openFilesLimit(() => limits)).toEqual({ soft: 1024, hard: 4096 });
    expect(pdpMaxConnections('auto', { soft: 1024, hard: 4096 })).toBe(768);
    expect(pdpMaxConnections(300, { soft: 1024, hard: 4096 })).toBe(300);
    expect(openFilesLimit(() => 'nothing here')).toBeUndefined();
    expect(openFilesLimit()?.soft).toBeGreaterThan(0);
  });
});
