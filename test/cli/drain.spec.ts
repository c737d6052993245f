import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { silentLog } from '@gridauthz/domain';
import { Database } from '@gridauthz/persistence';
import { decodeXacmlResponse, encodeXacmlQuery } from '@gridauthz/protocols';
import { MIGRATIONS } from '../../migrations';
import { proxyFileIdentity } from '../support/fixtures';
import { freePorts } from '../support/free-ports';
import { httpsCall } from '../support/https-client';
import { createTestStorage, databaseLabel, type TestStorage, usingPostgres } from '../support/test-database';

const CLI = resolve(__dirname, '..', '..', 'bin', 'gridauthz.js');
const BURST = 200;

/**
 * SIGTERM while a burst of glexec-style requests is in flight (issue 9): every request either gets its answer
 * or sees its connection closed before anything was processed, and every Permit that left has its record.
 */
// The single process drains itself; with two workers the supervisor asks each worker to drain (PostgreSQL only:
// the embedded database serves one process).
const WORKER_COUNTS = usingPostgres() ? [1, 2] : [1];

describe.each(WORKER_COUNTS)(`SIGTERM drains in-flight decisions (${databaseLabel()}, --workers %i)`, (workers) => {
  const cwd = mkdtempSync(join(tmpdir(), 'gridauthz-drain-'));
  let storage: TestStorage | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await storage?.dispose();
    rmSync(cwd, { recursive: true, force: true });
  });

  it(`answers or cleanly refuses each of ${BURST} requests, and records every Permit`, async () => {
    storage = await createTestStorage();
    // The admin listener too: its default port would collide with any other server on this machine.
    const [pdpPort, managementPort, adminPort] = await freePorts(3);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GRIDAUTHZ_PDP_PORT: String(pdpPort),
      GRIDAUTHZ_MANAGEMENT_PORT: String(managementPort),
      GRIDAUTHZ_ADMIN_PORT: String(adminPort),
      GRIDAUTHZ_DATA_DIR: storage.dataDir,
      GRIDAUTHZ_LOG_FORMAT: 'json',
      GRIDAUTHZ_LOG_LEVEL: 'warn',
    };
    if (storage.url) env.DATABASE_URL = storage.url;
    else delete env.DATABASE_URL;
    child = spawn(process.execPath, [CLI, 'serve', '--dev', '--workers', String(workers)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((ok) => child?.once('exit', (code) => ok(code)));

    const started = Date.now();
    let ready = false;
    while (!ready && Date.now() - started < 60_000) {
      ready = await fetch(`http://127.0.0.1:${managementPort}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready, stderr).toBe(true);

    const pkiDir = join(cwd, 'var', 'pki');
    const pki = JSON.parse(readFileSync(join(pkiDir, 'manifest.json'), 'utf8')) as DevPkiManifest;
    const pilot = proxyFileIdentity(readFileSync(join(pkiDir, pki.proxies['pilot-voms']?.file ?? ''), 'utf8'));
    const payload = pki.proxies['alice-voms'];
    if (!payload) throw new Error('no alice-voms');
    const payloadPem = readFileSync(join(pkiDir, payload.file), 'utf8');
    const ca = readFileSync(join(pkiDir, pki.ca.certFile), 'utf8');

    let answered = 0;
    const one = async (): Promise<'permit' | 'other-decision' | 'refused' | string> => {
      const query = encodeXacmlQuery({ dialect: 'authz-interop', subjectChainPem: payloadPem, subjectDn: payload.identity, now: new Date(), idGenerator: randomUUID });
      try {
        const res = await httpsCall({ url: `https://127.0.0.1:${pdpPort}/`, method: 'POST', ca, identity: pilot, body: query.body });
        answered += 1;
        // A connection accepted just before the close gets Fastify's 503 for its request: undecided, retry elsewhere.
        if (res.status === 503 && !res.body.includes('cannot decide yet')) return 'refused';
        if (res.status !== 200) return `http ${res.status}`;
        const decoded = decodeXacmlResponse(res.body, query.expect);
        if (!decoded.ok) return `undecodable answer: ${decoded.error.code}`;
        return decoded.value.decision === 'Permit' ? 'permit' : 'other-decision';
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        // Refused or reset before an answer: the client never saw a decision and will retry elsewhere.
        if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code) || /socket hang up|disconnected/.test(code)) return 'refused';
        return `error ${code}`;
      }
    };
    // With several workers /readyz answered from one of them: wait until consecutive new connections (spread over
    // the workers by the primary) all get a Permit, so the burst meets only workers that can decide.
    const warmUntil = Date.now() + 30_000;
    for (;;) {
      const warm = [];
      for (let i = 0; i < 3 * workers; i += 1) warm.push(await one());
      if (warm.every((o) => o === 'permit')) break;
      expect(Date.now() < warmUntil, `workers not ready: ${warm.join(', ')}\n${stderr}`).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
    }
    answered = 0;
    const burst = Array.from({ length: BURST }, () => one());
    while (answered < 20) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGTERM');
    const outcomes = await Promise.all(burst);
    expect(await exited, stderr).toBe(0);

    const unexpected = outcomes.filter((o) => !['permit', 'refused'].includes(o));
    expect(unexpected).toEqual([]);
    const permits = outcomes.filter((o) => o === 'permit').length;
    expect(permits).toBeGreaterThanOrEqual(20);

    const db = await Database.open({ url: storage.url, dataDir: storage.dataDir, migrations: MIGRATIONS, log: silentLog });
    try {
      const [row] = await db.dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM decision_record WHERE decision = 'Permit'`);
      expect(Number(row?.n)).toBeGreaterThanOrEqual(permits);
    } finally {
      await db.close();
    }
  }, 120_000);
});
