import { beforeEach, describe, expect, it } from 'vitest';
import type { BanDraft } from './ban';
import type { BanStore } from './ban-store';

/**
 * The behaviour every BanStore must show (ARCHITECTURE "Data": ban; mapping.md §4.4). An implementation's spec calls
 * `describeBanStoreContract('postgres', async () => ...)`; `makeStore` must return a store holding no bans.
 */
export function describeBanStoreContract(name: string, makeStore: () => Promise<BanStore>): void {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const draft = (kind: BanDraft['kind'], value: string, extra: { expiresAt?: Date; createdAt?: Date } = {}): BanDraft => ({
    kind,
    value,
    reason: 'incident 42',
    author: 'csirt',
    createdAt: extra.createdAt ?? t0,
    ...(extra.expiresAt ? { expiresAt: extra.expiresAt } : {}),
  });
  const counts = (r: Awaited<ReturnType<BanStore['upsert']>>): [number, number] | string =>
    r.ok ? [r.value.inserted.length, r.value.unchanged.length] : r.error.code;

  describe(`BanStore contract: ${name}`, () => {
    let store: BanStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('adds a ban with a string id, every field as given, and lists bans in creation order', async () => {
      const later = draft('dn', '/DC=org/DC=example/CN=Mallory', { expiresAt: new Date('2026-02-01T00:00:00Z') });
      const earlier = draft('ca', '/DC=org/DC=example/CN=Rogue CA', { createdAt: new Date('2025-12-31T00:00:00Z') });
      const a = await store.add(later);
      const b = await store.add(earlier);
      if (!a.ok || !b.ok) throw new Error('add failed');
      expect(typeof a.value.id).toBe('string');
      expect(a.value.id).not.toBe(b.value.id);
      expect(a.value).toEqual({ ...later, id: a.value.id });
      expect(b.value.expiresAt).toBeUndefined();
      expect(await store.list()).toEqual([b.value, a.value]);
    });

    it('refuses a malformed ban with MAPPING_CONFIG_INVALID and stores nothing', async () => {
      expect(await store.add(draft('dn', '/DC=org/CN=x', { expiresAt: t0 }))).toMatchObject({ ok: false, error: { code: 'MAPPING_CONFIG_INVALID' } });
      expect(await store.add(draft('vo', 'not a vo!'))).toMatchObject({ ok: false, error: { code: 'MAPPING_CONFIG_INVALID' } });
      expect(await store.add(draft('fqan', 'atlas'))).toMatchObject({ ok: false, error: { code: 'MAPPING_CONFIG_INVALID' } });
      expect(await store.list()).toEqual([]);
    });

    it('lists as active only the bans not expired at `now` (expiry instant excluded); list keeps expired ones', async () => {
      await store.add(draft('dn', '/DC=org/CN=Temporary', { expiresAt: new Date('2026-01-10T00:00:00Z') }));
      await store.add(draft('vo', 'dteam'));
      expect((await store.listActive(new Date('2026-01-09T23:59:59Z'))).map((b) => b.value)).toEqual(['/DC=org/CN=Temporary', 'dteam']);
      expect((await store.listActive(new Date('2026-01-10T00:00:00Z'))).map((b) => b.value)).toEqual(['dteam']);
      expect(await store.list()).toHaveLength(2);
    });

    it('removes a ban once: true, then false; an unknown id is false', async () => {
      const added = await store.add(draft('dn', '/DC=org/CN=Lifted'));
      const id = added.ok ? added.value.id : '';
      expect(await store.remove(id)).toBe(true);
      expect(await store.remove(id)).toBe(false);
      expect(await store.remove('no-such-id')).toBe(false);
      expect(await store.list()).toEqual([]);
      expect(await store.listActive(t0)).toEqual([]);
    });

    it('upserts by (kind, value): a second import adds nothing, a removed ban can be imported again', async () => {
      const list = [draft('dn', '/DC=org/CN=A'), draft('fqan', '/atlas/Role=hacker')];
      expect(counts(await store.upsert(list))).toEqual([2, 0]);
      expect(counts(await store.upsert(list))).toEqual([0, 2]);
      const a = (await store.list()).find((b) => b.value === '/DC=org/CN=A');
      expect(await store.remove(a?.id ?? '')).toBe(true);
      expect(counts(await store.upsert(list))).toEqual([1, 1]);
      expect((await store.list()).map((b) => b.value).sort()).toEqual(['/DC=org/CN=A', '/atlas/Role=hacker']);
    });

    it('keys a DN ban by the structured name: the RFC 2253 spelling of a stored slash DN is the same ban', async () => {
      expect(counts(await store.upsert([draft('dn', '/DC=org/DC=example/CN=Alice')]))).toEqual([1, 0]);
      expect(counts(await store.upsert([draft('dn', 'CN=Alice,DC=example,DC=org')]))).toEqual([0, 1]);
      // The same text under another kind is another ban.
      expect(counts(await store.upsert([draft('ca', '/DC=org/DC=example/CN=Alice')]))).toEqual([1, 0]);
      expect(await store.list()).toHaveLength(2);
    });

    it('upserts all or nothing: one malformed draft stores none of the list', async () => {
      const bad = await store.upsert([draft('dn', '/DC=org/CN=B'), draft('vo', 'not a vo!')]);
      expect(!bad.ok && bad.error.code).toBe('MAPPING_CONFIG_INVALID');
      expect(await store.list()).toEqual([]);
    });
  });
}
