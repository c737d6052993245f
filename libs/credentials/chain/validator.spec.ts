import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { generateDevPki, PkiBuilder } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { CredentialValidator, IgtfTrustStore, parsePemChain } from '@gridauthz/credentials';
import { fixtures } from './craft.testkit';

describe('CredentialValidator', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let now: Date;
  const chain = (name: string): Buffer[] => {
    const r = parsePemChain(readFileSync(join(dir, m.proxies[name]?.file ?? ''), 'utf8'));
    if (!r.ok) throw new Error(r.error.detail);
    return r.value;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-cache-'));
    m = await generateDevPki({ dir });
    now = new Date(Date.parse(m.now) + 60_000);
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exposes identity.subject and proxies as the TLS guard uses them', () => {
    const r = new CredentialValidator(store).validate(chain('pilot-voms'), now);
    if (!r.ok) throw new Error(r.error.code);
    expect(r.value.identity.subject.toSlash()).toBe(m.users['pilot']?.subject);
    expect(r.value.proxies.length > 0).toBe(true);
  });

  it('answers a repeat caller from the cache with the identical result', () => {
    const validator = new CredentialValidator(store);
    const first = validator.validate(chain('alice-voms'), now);
    const second = validator.validate(chain('alice-voms'), new Date(now.getTime() + 1000));
    expect(second).toBe(first);
    expect(validator.stats()).toEqual({ entries: 1, hits: 1, misses: 1 });
  });

  it('never serves a cached success past the proxy expiry or the AC expiry', () => {
    const validator = new CredentialValidator(store);
    expect(validator.validate(chain('alice-voms'), now).ok).toBe(true);
    const acEnd = Date.parse(m.proxies['alice-voms']?.acs[0]?.notAfter ?? '') + 300_000;
    const afterAc = validator.validate(chain('alice-voms'), new Date(acEnd));
    expect(afterAc.ok && afterAc.value.voms.rejected.map((r) => r.code)).toEqual(['CRED_AC_EXPIRED']);
    const proxyEnd = Date.parse(m.proxies['alice-voms']?.notAfter ?? '');
    const afterProxy = validator.validate(chain('alice-voms'), new Date(proxyEnd));
    expect(afterProxy.ok ? 'valid' : afterProxy.error.code).toBe('CRED_PROXY_EXPIRED');
    expect(validator.stats().hits).toBe(0);
  });

  it('does not reuse an "AC expired" result for an earlier `now` at which the AC is valid', () => {
    const validator = new CredentialValidator(store);
    const acEnd = Date.parse(m.proxies['alice-voms']?.acs[0]?.notAfter ?? '') + 300_000;
    const late = validator.validate(chain('alice-voms'), new Date(acEnd + 1000));
    expect(late.ok && late.value.voms.rejected.map((r) => r.code)).toEqual(['CRED_AC_EXPIRED']);
    const early = validator.validate(chain('alice-voms'), now);
    expect(early.ok && early.value.fqans).toHaveLength(2);
  });

  it('does not serve a result for a `now` before the window it was computed for', () => {
    const validator = new CredentialValidator(store);
    expect(validator.validate(chain('alice'), now).ok).toBe(true);
    const nb = Date.parse(m.proxies['alice']?.notBefore ?? '');
    const early = validator.validate(chain('alice'), new Date(nb - 400_000));
    expect(early.ok ? 'valid' : early.error.code).toBe('CRED_PROXY_NOT_YET_VALID');
  });

  it('drops cached results when the trust store generation changes (CRL rewritten)', async () => {
    const own = mkdtempSync(join(tmpdir(), 'cred-cache-gen-'));
    try {
      const pki = await generateDevPki({ dir: own, now: new Date(m.now) });
      const s = await IgtfTrustStore.open({ caDir: join(own, pki.caDir), log: silentLog });
      const validator = new CredentialValidator(s);
      const aliceChain = parsePemChain(readFileSync(join(own, pki.proxies['alice']?.file ?? ''), 'utf8'));
      if (!aliceChain.ok) throw new Error('fixture');
      expect(validator.validate(aliceChain.value, now).ok).toBe(true);
      const { ca } = fixtures(own, pki);
      const crl = PkiBuilder.crl(ca.signer, new Date(now.getTime() - 1000), new Date(now.getTime() + 86_400_000), [{ serial: 0x1004n, date: now }], 2);
      writeFileSync(join(own, pki.caDir, `${pki.ca.hash}.r0`), PkiBuilder.pem('X509 CRL', crl));
      expect(await s.reloadIfChanged()).toBe(true);
      const r = validator.validate(aliceChain.value, now);
      expect(r.ok ? 'valid' : r.error.code).toBe('CRED_CERT_REVOKED');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('caches failures briefly and stays bounded (LRU)', () => {
    const validator = new CredentialValidator(store, { maxEntries: 3, failureTtlMs: 5000 });
    const bad = chain('alice-expired');
    const f1 = validator.validate(bad, now);
    expect(validator.validate(bad, new Date(now.getTime() + 4000))).toBe(f1);
    expect(validator.validate(bad, new Date(now.getTime() + 6000))).not.toBe(f1);
    for (const name of ['alice', 'bob', 'pilot', 'alice-limited']) validator.validate(chain(name), now);
    expect(validator.stats().entries).toBe(3);
  });
});
