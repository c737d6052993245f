import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { findBan } from '@gridauthz/mapping';
import { GenerationWatcher, PostgresBanStore, type ConfigTopic } from '@gridauthz/persistence';
import { Dn } from '@gridauthz/domain';
import { databaseLabel, openTestDatabase, type TestDatabase } from '../support/test-database';

describe(`PostgresBanStore on ${databaseLabel()}`, () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase();
  });
  afterAll(async () => t?.close());

  const t0 = new Date('2026-01-01T00:00:00Z');
  const draft = (value: string, extra: { expiresAt?: Date; createdAt?: Date } = {}) => ({
    kind: 'dn' as const,
    value,
    reason: 'incident 42',
    author: 'csirt',
    createdAt: extra.createdAt ?? t0,
    ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}),
  });

  it('adds, lists in creation order and round-trips every field with a string id', async () => {
    await t.db.dataSource.query(`TRUNCATE ban RESTART IDENTITY`);
    const store = new PostgresBanStore(t.db);
    const a = await store.add(draft('/DC=org/DC=example/CN=Mallory Banned', { expiresAt: new Date('2026-02-01T00:00:00Z') }));
    const b = await store.add(draft('/DC=org/DC=example/CN=Earlier', { createdAt: new Date('2025-12-31T00:00:00Z') }));
    expect(a.ok && a.value).toEqual({ ...draft('/DC=org/DC=example/CN=Mallory Banned', { expiresAt: new Date('2026-02-01T00:00:00Z') }), id: '1' });
    expect((await store.list()).map((x) => x.value)).toEqual(['/DC=org/DC=example/CN=Earlier', '/DC=org/DC=example/CN=Mallory Banned']);
    expect(b.ok && b.value.expiresAt).toBeUndefined();
    expect(await store.add({ ...draft('/DC=org/CN=x'), expiresAt: t0 })).toMatchObject({ ok: false, error: { code: 'MAPPING_CONFIG_INVALID' } });
  });

  it('applies expiry in listActive and the decision sees active bans only', async () => {
    await t.db.dataSource.query(`TRUNCATE ban RESTART IDENTITY`);
    const store = new PostgresBanStore(t.db);
    await store.add(draft('/DC=org/DC=example/CN=Temporary', { expiresAt: new Date('2026-01-10T00:00:00Z') }));
    expect(await store.listActive(new Date('2026-01-09T23:59:59Z'))).toHaveLength(1);
    expect(await store.listActive(new Date('2026-01-10T00:00:00Z'))).toHaveLength(0);
    const subject = { dn: Dn.parse('/DC=org/DC=example/CN=Temporary'), fqans: [] };
    expect(findBan(await store.listActive(new Date('2026-01-05T00:00:00Z')), subject, new Date('2026-01-05T00:00:00Z'))?.id).toBe('1');
    expect(await store.list()).toHaveLength(1); // expired but not lifted: still on the list
  });

  it('lifts instead of deleting: remove() hides the ban, the row keeps who lifted it', async () => {
    await t.db.dataSource.query(`TRUNCATE ban RESTART IDENTITY`);
    const store = new PostgresBanStore(t.db, { actor: 'admin:alice' });
    const added = await store.add(draft('/DC=org/CN=Lifted'));
    const id = added.ok ? added.value.id : '';
    expect(await store.remove(id)).toBe(true);
    expect(await store.remove(id)).toBe(false);
    expect(await store.remove('no-such-id')).toBe(false);
    expect(await store.list()).toEqual([]);
    const rows = await t.db.dataSource.query<{ value: string; lifted_by: string; lifted: boolean }[]>(`SELECT value, lifted_by, lifted_at IS NOT NULL AS lifted FROM ban`);
    expect(rows).toEqual([{ value: '/DC=org/CN=Lifted', lifted_by: 'admin:alice', lifted: true }]);
  });

  it('upserts by (kind, value): a second import adds nothing, a lifted ban can be imported again', async () => {
    await t.db.dataSource.query(`TRUNCATE ban RESTART IDENTITY`);
    const store = new PostgresBanStore(t.db);
    const list = [draft('/DC=org/CN=A'), { ...draft('/atlas/Role=hacker'), kind: 'fqan' as const }, draft('/DC=org/CN=A')];
    const first = await store.upsert(list);
    expect(first.ok && [first.value.inserted.length, first.value.unchanged.length]).toEqual([2, 0]);
    const second = await store.upsert(list);
    expect(second.ok && [second.value.inserted.length, second.value.unchanged.length]).toEqual([0, 3]);
    const a = (await store.list()).find((b) => b.value === '/DC=org/CN=A');
    await store.remove(a?.id ?? '');
    const third = await store.upsert(list);
    expect(third.ok && [third.value.inserted.length, third.value.unchanged.length]).toEqual([1, 1]);
    const bad = await store.upsert([draft('/DC=org/CN=B'), { ...draft('not a vo!'), kind: 'vo' as const }]);
    expect(!bad.ok && bad.error.code).toBe('MAPPING_CONFIG_INVALID');
    expect((await store.list()).map((b) => b.value)).not.toContain('/DC=org/CN=B');
  });

  it('bumps the ban generation so every replica reloads', async () => {
    const seen: ConfigTopic[][] = [];
    const watcher = new GenerationWatcher(t.db, (topics) => void seen.push(topics), silentLog, 60_000);
    await watcher.start();
    await new PostgresBanStore(t.db).add(draft('/DC=org/CN=Watched'));
    await watcher.pollNow();
    expect(seen).toEqual([['ban']]);
    await watcher.stop();
  });
});
