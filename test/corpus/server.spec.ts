/**
 * Decision corpus, driver 2: every case sent to the live server (both listeners, real storage, the fixture PKI)
 * over mutual TLS, as the case's caller, in sequence on one server. Site state: policies/site.spl, the dev mapping
 * (seeded by startTestServer), the host as pdp.trustedAsserters; a case's bans are added through the admin API
 * before it and lifted after it.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPrincipal, adminCall } from '../admin/admin-support';
import { fixturePki, userIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { bySite, callerIdentity, expandBan, expectView, loadCorpus, readAnswer, requestOf, type CorpusCase } from './corpus';

const corpus = loadCorpus();
const POLICIES = join(__dirname, '..', '..', 'policies');

for (const [policy, cases] of bySite(corpus)) {
  describe(`decision corpus, live server over mutual TLS, policy ${policy} (${cases.length} cases, ${databaseLabel()})`, () => {
    let t: TestServer;
    let policyDir: string;
    const accounts = new Map<string, string>();
    let started = 0;
    beforeAll(async () => {
      started = Date.now();
      const pki = fixturePki();
      // The server's policy directory holds exactly the case file's policy files (it loads every .spl, by name).
      policyDir = mkdtempSync(join(tmpdir(), 'gridauthz-corpus-policy-'));
      for (const file of cases[0]?.policy ?? []) copyFileSync(join(POLICIES, file), join(policyDir, basename(file)));
      t = await startTestServer({
        config: {
          pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [pki.host.subject], callers: [], signResponses: false },
          policy: { dir: policyDir },
        },
      });
      const db = t.server.database();
      if (!db) throw new Error('server not ready');
      // The security officer who adds and lifts the cases' bans (admin API, docs/admin-api.md).
      await addPrincipal(db, 'bob', 'security-officer');
    }, 120_000);
    afterAll(async () => {
      await t?.close();
      if (policyDir) rmSync(policyDir, { recursive: true, force: true });
    });

    const withBans = async <T>(c: CorpusCase, run: () => Promise<T>): Promise<T> => {
      const ids: string[] = [];
      for (const ban of c.bans ?? []) {
        const added = await adminCall(t, { path: '/bans', method: 'POST', identity: userIdentity('bob'), body: { kind: ban.kind, value: expandBan(ban.value), reason: `corpus ${c.id}` } });
        expect(added.status, JSON.stringify(added.json)).toBe(201);
        ids.push(String(added.json['id']));
      }
      try {
        return await run();
      } finally {
        for (const id of ids) await adminCall(t, { path: `/bans/${id}/lift`, method: 'POST', identity: userIdentity('bob'), body: { reason: 'corpus case done' } });
      }
    };

    /** The decision record the server wrote for the case (the newest; cases run in sequence). */
    const newestRecord = async (before: number): Promise<{ decision: string; reasons: string[]; username: string | null } | undefined> => {
      const db = t.server.database();
      for (let i = 0; i < 50; i += 1) {
        const rows = (await db?.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM decision_record')) ?? [];
        if (Number(rows[0]?.n ?? 0) > before) {
          const newest = await db?.dataSource.query<{ decision: string; reasons: string[]; username: string | null }[]>(
            'SELECT decision, reasons, username FROM decision_record ORDER BY decided_at DESC LIMIT 1',
          );
          return newest?.[0];
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      return undefined;
    };
    const recordCount = async (): Promise<number> => Number((await t.server.database()?.dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM decision_record'))?.[0]?.n ?? 0);

    it.each(cases.filter((c) => c.only === undefined).map((c) => [`${c.file} ${c.id}`, c] as const))('%s', async (_name, c) => {
      const request = requestOf(c, new Date());
      const before = await recordCount();
      const http = await withBans(c, () =>
        httpsCall({ url: `${t.server.pdpUrl}/authz`, method: 'POST', ca: t.ca, identity: callerIdentity(c.caller), body: request.body, headers: { soapaction: request.soapAction } }),
      );
      expect(http.status, http.body).toBe(200);
      const view = readAnswer(request, http.body);
      const failures: string[] = [];
      expectView(c, view, accounts, (ok, what) => {
        if (!ok) failures.push(what);
      });
      if (c.disagreement !== undefined) expect(failures, `known disagreement no longer seen: ${c.disagreement}`).not.toEqual([]);
      else expect(failures, `${c.id}: ${JSON.stringify(view)}`).toEqual([]);
      // The reasons the server recorded (decision_record), as the in-process driver checks the Decider's.
      const record = await newestRecord(before);
      expect(record, 'no decision record written').toBeDefined();
      for (const reason of c.expect.reasons ?? []) expect(record?.reasons.some((r) => r === reason || r.startsWith(`${reason}:`)), `${c.id}: ${JSON.stringify(record)}`).toBe(true);
    });

    it('ran every case of this site', () => {
      console.log(`corpus live server, ${policy}: ${cases.length} cases in ${Date.now() - started} ms (server start included)`);
      expect(cases.filter((c) => c.only !== undefined)).toEqual([]);
    });
  });
}

describe('decision corpus size', () => {
  it('has at least 60 cases, every dialect and PRIMA among them', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    expect(new Set(corpus.map((c) => c.dialect))).toEqual(new Set(['authz-interop', 'grid-wn', 'grid-ce', 'emi', 'prima']));
  });
});
