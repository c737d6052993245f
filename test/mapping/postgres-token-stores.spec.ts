import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { ARGUS_SETTINGS, type BanDraft, findBan, type MappingRule } from '@gridauthz/mapping';
import { AdminAuditRepository, PostgresBanStore, PostgresMappingConfigStore, PostgresTokenIssuerStore, PostgresTokenLinkStore, TokenAdministration, localActor } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

// Token identities in storage (docs/mapping-tokens.md): bans and rules keep the issuer in its own column, links and
// run-time issuers are audited with their change.
const ATLAS = 'https://atlas-auth.web.cern.ch/';
const CMS = 'https://cms-auth.web.cern.ch/';

describe(`token identities in storage on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  const t0 = new Date('2026-01-01T00:00:00Z');
  const ban = (d: Pick<BanDraft, 'kind' | 'value'> & { issuer?: string }): BanDraft => ({ reason: 'incident 7', author: 'csirt', createdAt: t0, ...d });

  it('token bans round-trip with their issuer and name exactly their (issuer, subject)', async () => {
    await t.db.dataSource.query(`TRUNCATE ban RESTART IDENTITY`);
    const store = new PostgresBanStore(t.db);
    const added = await store.add(ban({ kind: 'token', issuer: ATLAS, value: 'u-1' }));
    expect(added.ok && added.value).toEqual({ ...ban({ kind: 'token', issuer: ATLAS, value: 'u-1' }), id: '1' });
    await store.add(ban({ kind: 'issuer', value: CMS }));
    await store.add(ban({ kind: 'token-group', issuer: ATLAS, value: '/atlas/banned' }));
    const active = await store.listActive(t0);
    expect(findBan(active, { fqans: [], token: { issuer: ATLAS, subject: 'u-1' } }, t0)?.id).toBe('1');
    expect(findBan(active, { fqans: [], token: { issuer: ATLAS, subject: 'u-2' } }, t0)).toBeUndefined();
    expect(findBan(active, { fqans: [], token: { issuer: CMS, subject: 'anyone' } }, t0)?.kind).toBe('issuer');
    expect(findBan(active, { fqans: [], token: { issuer: ATLAS, subject: 'u-3' }, groups: ['/atlas', '/atlas/banned'] }, t0)?.kind).toBe('token-group');
  });

  it('upserts token bans by (kind, issuer, value): the same subject of another issuer is another ban', async () => {
    await t.db.dataSource.query(`TRUNCATE ban RESTART IDENTITY`);
    const store = new PostgresBanStore(t.db);
    const first = await store.upsert([ban({ kind: 'token', issuer: ATLAS, value: 'u-1' }), ban({ kind: 'token', issuer: CMS, value: 'u-1' })]);
    expect(first.ok && first.value.inserted.length).toBe(2);
    const again = await store.upsert([ban({ kind: 'token', issuer: CMS, value: 'u-1' })]);
    expect(again.ok && [again.value.inserted.length, again.value.unchanged.length]).toEqual([0, 1]);
  });

  it('the database refuses a token ban without an issuer, and an issuer on a DN ban', async () => {
    await expect(t.db.dataSource.query(`INSERT INTO ban (kind, value, reason, created_by) VALUES ('token', 'u-1', 'r', 'x')`)).rejects.toThrow(/ban_issuer_ck/);
    await expect(t.db.dataSource.query(`INSERT INTO ban (kind, value, reason, created_by, issuer) VALUES ('dn', '/CN=x', 'r', 'x', 'https://i')`)).rejects.toThrow(/ban_issuer_ck/);
  });

  it('token rules round-trip with their issuer', async () => {
    const store = new PostgresMappingConfigStore(t.db, ARGUS_SETTINGS);
    expect((await store.upsertGroups([{ name: 'atlas', gid: 5000 }])).ok).toBe(true);
    expect((await store.upsertPools([{ id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 2, firstUid: 6001, width: 3, gid: 5000 } }])).ok).toBe(true);
    const rules: MappingRule[] = [
      { id: 'tok', subject: { kind: 'token', issuer: ATLAS, pattern: 'robot' }, account: { kind: 'static', username: 'atlas001' } },
      { id: 'grp', subject: { kind: 'token-group', issuer: ATLAS, pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' }, groups: ['atlas'] },
      { id: 'fq', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' } },
      { id: 'iss', subject: { kind: 'issuer', pattern: CMS }, account: { kind: 'pool', poolId: 'atlas' } },
    ];
    expect(await store.replaceRules(rules)).toEqual({ ok: true, value: { changed: 4 } });
    expect((await store.load()).rules).toEqual(rules);
    // The issuer is part of the rule: the same rule for another issuer is a change.
    const moved = rules.map((r) => (r.id === 'grp' ? { ...r, subject: { ...r.subject, issuer: CMS } } : r));
    expect(await store.replaceRules(moved)).toEqual({ ok: true, value: { changed: 4 } });
  });

  it('links and run-time issuers: add, replace, list, remove, each audited with its change', async () => {
    const admin = new TokenAdministration(t.db);
    const actor = localActor();
    const alice = Dn.parse('/DC=ch/DC=cern/OU=Users/CN=alice');
    const { before, after } = await admin.link(ATLAS, 'alice-sub', alice, 'ticket 12', actor);
    expect([before, after.dn, after.issuer, after.subject]).toEqual([undefined, '/DC=ch/DC=cern/OU=Users/CN=alice', ATLAS, 'alice-sub']);
    const links = await new PostgresTokenLinkStore(t.db).links();
    expect(links.map((l) => [l.issuer, l.subject, l.dn.equals(alice)])).toEqual([[ATLAS, 'alice-sub', true]]);
    expect(await admin.unlink(CMS, 'alice-sub', actor)).toBeUndefined();
    expect((await admin.unlink(ATLAS, 'alice-sub', actor))?.dn).toBe(alice.toSlash());

    await admin.addIssuer(ATLAS, { url: 'https://atlas-auth.web.cern.ch/jwk' }, undefined, actor);
    await admin.addIssuer(ATLAS, { file: '/etc/gridauthz/jwks/atlas.json' }, 'moved to a file', actor);
    expect((await new PostgresTokenIssuerStore(t.db).list()).map((i) => [i.issuer, i.jwksFile, i.jwksUrl])).toEqual([[ATLAS, '/etc/gridauthz/jwks/atlas.json', undefined]]);
    expect((await admin.removeIssuer(ATLAS, actor))?.issuer).toBe(ATLAS);

    const audit = await new AdminAuditRepository(t.db).list({ limit: 20 });
    expect(audit.map((a) => a.action).filter((a) => a.startsWith('token-link.') || a.startsWith('issuer.')).sort()).toEqual(
      ['issuer.add', 'issuer.add', 'issuer.remove', 'token-link.add', 'token-link.remove'].sort(),
    );
  });

  it('a link or issuer change bumps its generation, so every replica reloads it', async () => {
    const gen = async () =>
      Object.fromEntries(
        (await t.db.dataSource.query<{ topic: string; generation: string }[]>(`SELECT topic, generation::text AS generation FROM config_generation WHERE topic LIKE 'token-%'`)).map((r) => [r.topic, r.generation]),
      );
    const before = await gen();
    await new PostgresTokenLinkStore(t.db).add(CMS, 'x', Dn.parse('/CN=x'), { by: 'test' });
    await new PostgresTokenIssuerStore(t.db).add(CMS, { url: 'https://cms-auth.web.cern.ch/jwk' }, { by: 'test' });
    const after = await gen();
    expect(after['token-link']).not.toBe(before['token-link']);
    expect(after['token-issuer']).not.toBe(before['token-issuer']);
  });
});
