/**
 * Decision corpus, driver 2: every case sent to the live server (both listeners, real storage, the fixture PKI)
 * over mutual TLS, as the case's caller, in sequence on one server. Site state: policies/site.spl, the dev mapping
 * (seeded by startTestServer), the host as pdp.trustedAsserters; a case's bans are added through the admin API
 * before it and lifted after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPrincipal, adminCall } from '../admin/admin-support';
import { fixturePki, userIdentity } from '../support/fixtures';
import { httpsCall } from '../support/https-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';
import { callerIdentity, expandBan, expectView, loadCorpus, readAnswer, requestOf, type CorpusCase } from './corpus';

const corpus = loadCorpus();

describe(`decision corpus, live server over mutual TLS (${corpus.length} cases, ${databaseLabel()})`, () => {
  let t: TestServer;
  const accounts = new Map<string, string>();
  let started = 0;
  beforeAll(async () => {
    started = Date.now();
    const pki = fixturePki();
    t = await startTestServer({
      config: { pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [pki.host.subject], callers: [], signResponses: false } },
    });
    const db = t.server.database();
    if (!db) throw new Error('server not ready');
    // The security officer who adds and lifts the cases' bans (admin API, docs/admin-api.md).
    await addPrincipal(db, 'bob', 'security-officer');
  }, 120_000);
  afterAll(async () => t?.close());

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

  it.each(corpus.filter((c) => c.only === undefined).map((c) => [`${c.file} ${c.id}`, c] as const))('%s', async (_name, c) => {
    const request = requestOf(c, new Date());
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
  });

  it('ran every case', () => {
    console.log(`corpus live server: ${corpus.length} cases in ${Date.now() - started} ms (server start included)`);
    expect(corpus.filter((c) => c.only !== undefined)).toEqual([]);
    expect(corpus.length).toBeGreaterThanOrEqual(60);
  });
});
