import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { buildSubjectKey } from '@gridauthz/mapping';
import { AdminPrincipalRepository, LeaseAdministration, PostgresBanStore } from '@gridauthz/persistence';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

const ALICE = '/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas';
/** One OU value "People/CN=Alice Atlas": OpenSSL prints it as ALICE (docs/identities.md). */
const spliced = Dn.fromRdns([[{ type: 'DC', value: 'org' }], [{ type: 'DC', value: 'gridauthz-dev' }], [{ type: 'OU', value: 'People/CN=Alice Atlas' }]]);

/** Every stored DN is found by its structured key (docs/identities.md), never by its text. */
describe(`DN keys in storage (${databaseLabel()})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  describe('admin_principal', () => {
    it('finds a principal by structure: either rendering, case and spacing folded; not by a spliced name with the same text', async () => {
      const repo = new AdminPrincipalRepository(t.db);
      await repo.put(ALICE, 'security-officer', 'test');
      expect((await repo.findByDn('CN=alice  atlas,OU=people,DC=gridauthz-dev,DC=org'))?.role).toBe('security-officer');
      expect((await repo.findByDn(Dn.parse(ALICE)))?.dn).toBe(ALICE);
      expect(spliced.toOpenSslSlash()).toBe(ALICE);
      expect(await repo.findByDn(spliced)).toBeUndefined();
      expect(await repo.findByDn('not a DN')).toBeUndefined();

      // The spliced name is a principal of its own, with its own row and role.
      await repo.put(spliced, 'auditor', 'test');
      expect((await repo.findByDn(spliced))?.role).toBe('auditor');
      expect((await repo.findByDn(spliced))?.dn).toBe('/DC=org/DC=gridauthz-dev/OU=People\\x2FCN=Alice Atlas');
      expect((await repo.findByDn(ALICE))?.role).toBe('security-officer');

      // put on another rendering of the same name changes that principal's role; it adds no row.
      const { before, after } = await repo.put('CN=Alice Atlas,OU=People,DC=gridauthz-dev,DC=org', 'operator', 'test');
      expect(before?.role).toBe('security-officer');
      expect(after.role).toBe('operator');
      expect((await repo.list()).map((p) => p.role).sort()).toEqual(['auditor', 'operator']);
    });

    it('scopes tokens by key, and removes by key', async () => {
      const repo = new AdminPrincipalRepository(t.db);
      const alice = await repo.findByDn(ALICE);
      const other = await repo.findByDn(spliced);
      if (!alice || !other) throw new Error('principals missing');
      const now = new Date();
      const mine = await repo.issueToken(alice.id, { label: 'a', createdBy: 'test', ttlSeconds: 600, now });
      await repo.issueToken(other.id, { label: 'b', createdBy: 'test', ttlSeconds: 600, now });
      expect((await repo.listTokens('cn=alice atlas, ou=people, dc=gridauthz-dev, dc=org')).map((x) => x.label)).toEqual(['a']);
      expect((await repo.listTokens(spliced)).map((x) => x.label)).toEqual(['b']);
      expect(await repo.listTokens('not a DN')).toEqual([]);
      expect(await repo.revokeToken(mine.id, now, spliced)).toBe(false);
      expect(await repo.revokeToken(mine.id, now, Dn.parse(ALICE))).toBe(true);

      expect((await repo.remove('CN=ALICE ATLAS,OU=People,DC=gridauthz-dev,DC=org'))?.dn).toBe(ALICE);
      expect(await repo.findByDn(ALICE)).toBeUndefined();
      expect((await repo.findByDn(spliced))?.role).toBe('auditor');
      expect(await repo.remove(spliced)).toBeDefined();
    });

    it('refuses two rows for one name at the database level', async () => {
      const dn = Dn.parse('/DC=org/CN=Unique');
      await new AdminPrincipalRepository(t.db).put(dn, 'auditor', 'test');
      await expect(
        t.db.dataSource.query(`INSERT INTO admin_principal (dn, dn_key, role, created_by) VALUES ('/dc=org/cn=unique', $1, 'operator', 'test')`, [dn.canonicalKey()]),
      ).rejects.toThrow(/admin_principal_dn_key_uq/);
    });
  });

  describe('ban', () => {
    it('merges one DN written two ways into one ban; keeps a spliced name and globs apart', async () => {
      const store = new PostgresBanStore(t.db);
      const draft = (kind: 'dn' | 'ca' | 'fqan', value: string) => ({ kind, value, reason: 'test', author: 'test', createdAt: new Date() });
      const first = await store.upsert([draft('dn', ALICE), draft('dn', '/DC=org/DC=gridauthz-dev/*')]);
      expect(first.ok && first.value.inserted).toHaveLength(2);
      const again = await store.upsert([
        draft('dn', 'CN=alice atlas,OU=People,DC=gridauthz-dev,DC=org'),
        draft('dn', '/DC=org/DC=gridauthz-dev/*'),
        draft('dn', spliced.toSlash()),
        draft('dn', 'CN=Alice Atlas,OU=People,DC=gridauthz-dev,DC=org'),
        draft('ca', '/DC=org/DC=gridauthz-dev/CN=gridauthz Dev CA'),
        draft('ca', 'CN=gridauthz dev CA,DC=gridauthz-dev,DC=org'),
      ]);
      if (!again.ok) throw new Error(again.error.detail);
      expect(again.value.unchanged.map((b) => b.value)).toEqual([ALICE, '/DC=org/DC=gridauthz-dev/*', ALICE]);
      expect(again.value.inserted.map((b) => b.value)).toEqual([spliced.toSlash(), '/DC=org/DC=gridauthz-dev/CN=gridauthz Dev CA']);
      const rows = await t.db.dataSource.query<{ value: string; value_key: string | null }[]>(`SELECT value, value_key FROM ban ORDER BY id`);
      expect(rows).toEqual([
        { value: ALICE, value_key: Dn.parse(ALICE).canonicalKey() },
        { value: '/DC=org/DC=gridauthz-dev/*', value_key: null },
        { value: spliced.toSlash(), value_key: spliced.canonicalKey() },
        { value: '/DC=org/DC=gridauthz-dev/CN=gridauthz Dev CA', value_key: Dn.parse('/DC=org/DC=gridauthz-dev/CN=gridauthz Dev CA').canonicalKey() },
      ]);
    });
  });
});

describe(`lease lookups by subject (${databaseLabel()})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  it("finds Alice's lease by her DN in either rendering, and not the spliced name's, and the other way round", async () => {
    const q = (sql: string, params: unknown[] = []) => t.db.dataSource.query(sql, params);
    await q(`INSERT INTO pool (name) VALUES ('atlas')`);
    await q(`INSERT INTO pool_account (pool_id, username, uid, gid) SELECT id, u, n, 5000 FROM pool, unnest(ARRAY['atlas001', 'atlas002']::text[], ARRAY[61001, 61002]::int[]) AS x(u, n)`);
    const groups = { primary: { name: 'atlas', gid: 5000 }, secondary: [] };
    const lease = (dn: Dn, username: string) =>
      q(
        `INSERT INTO lease (account_id, pool_id, subject_key) SELECT a.id, a.pool_id, $2 FROM pool_account a WHERE a.username = $1`,
        [username, buildSubjectKey(dn, groups, 'primary-only')],
      );
    await lease(Dn.parse(ALICE), 'atlas001');
    await lease(spliced, 'atlas002');
    const admin = new LeaseAdministration(t.db);
    // The admin API hands the lease list our slash rendering of whatever DN text it was given.
    const usernames = async (dn: Dn) => (await admin.list({ subjectDn: dn.toSlash() })).map((l) => l.username);
    expect(await usernames(Dn.parse(ALICE))).toEqual(['atlas001']);
    expect(await usernames(Dn.parse('CN=alice atlas,OU=People,DC=gridauthz-dev,DC=org'))).toEqual(['atlas001']);
    expect(await usernames(spliced)).toEqual(['atlas002']);
    expect(await usernames(Dn.parse('OU=People/CN=Alice Atlas,DC=gridauthz-dev,DC=org'))).toEqual(['atlas002']);
  });
});

describe(`migration DnKeys1795400000130 backfill (${databaseLabel()})`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  it('computes the keys of rows written before it, and grants nothing to a row whose name another row has', async () => {
    while ((await t.db.appliedMigrations()).includes('DnKeys1795400000130')) await t.db.revertLast();
    const q = (sql: string, params: unknown[] = []) => t.db.dataSource.query(sql, params);
    await q(`INSERT INTO admin_principal (dn, role, created_by) VALUES ($1, 'security-officer', 'old'), ($2, 'auditor', 'old'), ('garbage', 'operator', 'old')`, [
      ALICE,
      '/dc=org/dc=gridauthz-dev/ou=people/cn=alice atlas',
    ]);
    await q(`INSERT INTO ban (kind, value, reason, created_by) VALUES ('dn', $1, 'r', 'old'), ('dn', '/DC=org/*', 'r', 'old'), ('fqan', '/atlas', 'r', 'old'), ('ca', 'CN=X,DC=org', 'r', 'old')`, [ALICE]);
    await t.db.migrate();
    const principals = await q(`SELECT dn, dn_key FROM admin_principal ORDER BY id`);
    expect(principals).toEqual([
      { dn: ALICE, dn_key: Dn.parse(ALICE).canonicalKey() },
      { dn: '/dc=org/dc=gridauthz-dev/ou=people/cn=alice atlas', dn_key: expect.stringMatching(/^!unmatched:\d+$/) },
      { dn: 'garbage', dn_key: expect.stringMatching(/^!unmatched:\d+$/) },
    ]);
    expect((await new AdminPrincipalRepository(t.db).findByDn(ALICE))?.role).toBe('security-officer');
    const bans = await q(`SELECT kind, value_key FROM ban ORDER BY id`);
    expect(bans).toEqual([
      { kind: 'dn', value_key: Dn.parse(ALICE).canonicalKey() },
      { kind: 'dn', value_key: null },
      { kind: 'fqan', value_key: null },
      { kind: 'ca', value_key: Dn.parse('CN=X,DC=org').canonicalKey() },
    ]);
  });
});
