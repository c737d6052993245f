import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { banValueKey, checkBanDraft, findBan, type Ban } from './ban';
import { InMemoryBanStore } from './ban-store';

const t0 = new Date('2026-01-01T00:00:00Z');
const later = new Date('2026-03-01T00:00:00Z');
const ban = (id: string, kind: Ban['kind'], value: string, extra: Partial<Ban> = {}): Ban => ({ id, kind, value, reason: 'incident 42', author: '/CN=admin', createdAt: t0, ...extra });

const alice = {
  dn: Dn.fromSlash('/DC=org/DC=example/CN=Alice Smith'),
  issuerDn: Dn.fromSlash('/DC=org/DC=example/CN=Example CA'),
  fqans: [Fqan.parse('/dteam/Role=NULL/Capability=NULL'), Fqan.parse('/atlas/badgroup/sub/Role=NULL/Capability=NULL')],
};

describe('findBan', () => {
  it('bans by DN, in slash or RFC 2253 form, case-insensitively', () => {
    expect(findBan([ban('b1', 'dn', '/DC=org/DC=example/CN=Alice Smith')], alice, later)?.id).toBe('b1');
    expect(findBan([ban('b2', 'dn', 'CN=alice smith,DC=example,DC=org')], alice, later)?.id).toBe('b2');
  });

  it('bans by DN glob, and an exact DN does not ban a longer one (mapping.md §8 ban tests)', () => {
    expect(findBan([ban('g', 'dn', '/DC=org/DC=example/CN=*Smith')], alice, later)?.id).toBe('g');
    const guy2 = { dn: Dn.fromSlash('/DC=org/DC=x/CN=Bad Guy2'), fqans: [] };
    expect(findBan([ban('x', 'dn', '/DC=org/DC=x/CN=Bad Guy')], guy2, later)).toBeUndefined();
  });

  it('bans by FQAN in any position, with LCMAPS globs and Argus patterns', () => {
    expect(findBan([ban('f1', 'fqan', '/atlas/badgroup/*')], alice, later)?.id).toBe('f1');
    expect(findBan([ban('f2', 'fqan', '/atlas/badgroup/sub')], alice, later)?.id).toBe('f2');
    expect(findBan([ban('f3', 'fqan', '/cms/*')], alice, later)).toBeUndefined();
    // The long-form ban also catches a credential carrying the short string (fail closed, unlike LCMAPS).
    const short = { dn: alice.dn, fqans: [Fqan.parse('/atlas/Role=hacker')] };
    expect(findBan([ban('f4', 'fqan', '/atlas/Role=hacker/Capability=NULL')], short, later)?.id).toBe('f4');
  });

  it('bans by issuing CA', () => {
    expect(findBan([ban('ca', 'ca', 'CN=Example CA,DC=example,DC=org')], alice, later)?.id).toBe('ca');
    expect(findBan([ban('ca', 'ca', '/DC=org/DC=other/CN=Other CA')], alice, later)).toBeUndefined();
    expect(findBan([ban('ca', 'ca', '/DC=org/DC=example/CN=Example CA')], { dn: alice.dn, fqans: [] }, later)).toBeUndefined();
  });

  it('bans by VO, from the AC or from any FQAN', () => {
    expect(findBan([ban('vo', 'vo', 'atlas')], alice, later)?.id).toBe('vo');
    expect(findBan([ban('vo', 'vo', 'lhcb')], { ...alice, vo: 'lhcb' }, later)?.id).toBe('vo');
    expect(findBan([ban('vo', 'vo', 'cms')], alice, later)).toBeUndefined();
  });

  it('ignores expired bans and returns the first applicable one in order', () => {
    const expired = ban('old', 'dn', '/DC=org/DC=example/CN=Alice Smith', { expiresAt: new Date('2026-02-01T00:00:00Z') });
    const vo = ban('vo', 'vo', 'dteam');
    expect(findBan([expired, vo], alice, later)?.id).toBe('vo');
    expect(findBan([expired, vo], alice, new Date('2026-01-15T00:00:00Z'))?.id).toBe('old');
    expect(findBan([expired], alice, new Date('2026-02-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('checkBanDraft', () => {
  it('rejects malformed values and expiry before creation', () => {
    expect(checkBanDraft(ban('a', 'vo', 'at las'))).toMatch(/VO name/);
    expect(checkBanDraft(ban('a', 'ca', 'not a dn'))).toMatch(/not a DN/);
    expect(checkBanDraft(ban('a', 'fqan', 'atlas'))).toMatch(/not an FQAN/);
    expect(checkBanDraft(ban('a', 'dn', '/CN=x', { expiresAt: t0 }))).toMatch(/expires before/);
    expect(checkBanDraft(ban('a', 'dn', '/DC=org/CN=*evil*'))).toBeUndefined();
  });
});

describe('InMemoryBanStore', () => {
  it('upserts by (kind, value) so a re-import adds nothing, and lists active bans in creation order', async () => {
    const store = new InMemoryBanStore();
    const drafts = [ban('', 'dn', '/CN=a'), ban('', 'vo', 'atlas', { expiresAt: new Date('2026-02-01T00:00:00Z') })];
    const first = await store.upsert(drafts);
    expect(first.ok && first.value.inserted.map((b) => b.id)).toEqual(['ban-1', 'ban-2']);
    const second = await store.upsert(drafts);
    expect(second.ok && [second.value.inserted.length, second.value.unchanged.length]).toEqual([0, 2]);
    expect((await store.listActive(later)).map((b) => b.id)).toEqual(['ban-1']);
    expect(await store.remove('ban-1')).toBe(true);
    expect(await store.listActive(t0)).toHaveLength(1);
    const bad = await store.add(ban('', 'vo', ''));
    expect(!bad.ok && bad.error.code).toBe('MAPPING_CONFIG_INVALID');
  });
});

describe('bans and slash-ambiguous names (docs/identities.md)', () => {
  const ALICE = '/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas';
  const spliced = Dn.fromRdns([[{ type: 'DC', value: 'org' }], [{ type: 'DC', value: 'gridauthz-dev' }], [{ type: 'OU', value: 'People/CN=Alice Atlas' }]]);
  const subject = (dn: Dn) => ({ dn, fqans: [] });

  it("Alice's ban is not the spliced name's, and the other way round; a namespace glob covers both", () => {
    expect(findBan([ban('1', 'dn', ALICE)], subject(spliced), later)).toBeUndefined();
    expect(findBan([ban('1', 'dn', ALICE)], subject(Dn.parse(ALICE)), later)?.id).toBe('1');
    expect(findBan([ban('2', 'dn', spliced.toSlash())], subject(Dn.parse(ALICE)), later)).toBeUndefined();
    expect(findBan([ban('2', 'dn', spliced.toSlash())], subject(spliced), later)?.id).toBe('2');
    expect(findBan([ban('3', 'dn', '/DC=org/DC=gridauthz-dev/*')], subject(spliced), later)?.id).toBe('3');
  });

  it('keys DN and CA bans structurally, globs and FQANs not at all; the in-memory store merges on the key', async () => {
    expect(banValueKey({ kind: 'dn', value: ALICE })).toBe(Dn.parse('cn=alice atlas,ou=people,dc=gridauthz-dev,dc=org').canonicalKey());
    expect(banValueKey({ kind: 'dn', value: spliced.toSlash() })).toBe(spliced.canonicalKey());
    expect(banValueKey({ kind: 'dn', value: '/DC=org/*' })).toBeNull();
    expect(banValueKey({ kind: 'ca', value: 'CN=X,DC=org' })).toBe(Dn.parse('/DC=org/CN=X').canonicalKey());
    expect(banValueKey({ kind: 'fqan', value: '/atlas' })).toBeNull();
    const store = new InMemoryBanStore();
    const draft = (value: string) => ({ kind: 'dn' as const, value, reason: 'r', author: 'a', createdAt: t0 });
    const r = await store.upsert([draft(ALICE), draft('CN=Alice Atlas,OU=People,DC=gridauthz-dev,DC=org'), draft(spliced.toSlash())]);
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.inserted.map((b) => b.value)).toEqual([ALICE, spliced.toSlash()]);
  });
});
