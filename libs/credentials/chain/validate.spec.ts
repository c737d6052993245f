import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { generateDevPki } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { IgtfTrustStore, parsePemChain, validateChain } from '@gridauthz/credentials';
import type { ValidatedCredential } from '@gridauthz/credentials';

describe('validateChain on the dev-pki fixtures', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let now: Date;
  const chainOf = (rel: string): Buffer[] => {
    const r = parsePemChain(readFileSync(join(dir, rel), 'utf8'));
    if (!r.ok) throw new Error(r.error.detail);
    return r.value;
  };
  const validate = (name: string, opts: Partial<Parameters<typeof validateChain>[2]> = {}) =>
    validateChain(chainOf((m.proxies[name] ?? { file: '' }).file), store, { now, ...opts });
  const value = (name: string): ValidatedCredential => {
    const r = validate(name);
    if (!r.ok) throw new Error(`${name}: ${r.error.code} ${r.error.detail}`);
    return r.value;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-'));
    m = await generateDevPki({ dir });
    now = new Date(Date.parse(m.now) + 60_000);
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every fixture the verdict the manifest records', () => {
    for (const [name, p] of Object.entries(m.proxies)) {
      const r = validate(name);
      if (p.expected === 'valid') {
        expect(r.ok ? 'valid' : `${r.error.code}: ${r.error.detail}`, name).toBe('valid');
        if (r.ok) {
          expect(r.value.identity.subject.toSlash(), name).toBe(p.identity);
          expect(r.value.proxies, name).toHaveLength(p.depth);
          expect(r.value.limited, name).toBe(p.limited);
        }
      } else {
        expect(r.ok ? 'valid' : r.error.code, name).toBe(p.expected);
      }
    }
  });

  it('identifies the EEC, its issuer and serial for an RFC 3820 proxy (§1.2, §3.3)', () => {
    const v = value('alice');
    expect(v.identity.subject.toSlash()).toBe('/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas');
    expect(v.identity.subject.toRfc2253()).toBe('CN=Alice Atlas,OU=People,DC=gridauthz-dev,DC=org');
    expect(v.identity.issuer.toSlash()).toBe(m.ca.subject);
    expect(v.identity.serialHex).toBe('1004');
    expect(v.trustAnchor.toSlash()).toBe(m.ca.subject);
    expect(v.proxies[0]).toMatchObject({ format: 'rfc3820', policy: 'inheritAll', pathLen: null });
    expect(v.notAfter.toISOString()).toBe(m.proxies['alice']?.notAfter);
    expect(v.chain.map((c) => c.role)).toEqual(['proxy', 'eec', 'ca']);
    expect(v.fqans).toEqual([]);
    expect(v.primaryFqan).toBeUndefined();
  });

  it('uses the first non-proxy certificate as identity for a proxy of a proxy, not the leaf issuer (§3.3)', () => {
    const v = value('alice-proxy2');
    expect(v.identity.subject.toSlash()).toBe(m.users['alice']?.subject);
    expect(v.proxies).toHaveLength(2);
  });

  it('accepts legacy Globus proxies CN=proxy and CN=limited proxy (§3.1, §3.7)', () => {
    expect(value('alice-legacy').proxies[0]).toMatchObject({ format: 'legacy', policy: 'inheritAll' });
    const limited = value('alice-legacy-limited');
    expect(limited.proxies[0]).toMatchObject({ format: 'legacy', policy: 'limited' });
    expect(limited.limited).toBe(true);
  });

  it('accepts the draft (GT3) proxy with its [1] path length (§3.1, §3.2)', () => {
    expect(value('alice-draft').proxies[0]).toMatchObject({ format: 'draft', policy: 'inheritAll', pathLen: 2 });
  });

  it('flags RFC 3820 limited proxies and applies proxy.limited deny/require (§3.5)', () => {
    expect(value('alice-limited').limited).toBe(true);
    const deny = validate('alice-limited', { proxy: { limited: 'deny' } });
    expect(deny.ok ? 'valid' : deny.error.code).toBe('CRED_PROXY_LIMITED_NOT_ALLOWED');
    const require = validate('alice', { proxy: { limited: 'require' } });
    expect(require.ok ? 'valid' : require.error.code).toBe('CRED_PROXY_LIMITED_REQUIRED');
  });

  it('rejects an expired proxy with CRED_PROXY_EXPIRED at position 0 (§3.4 P8)', () => {
    const r = validate('alice-expired');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'CRED_PROXY_EXPIRED', position: 0 });
  });

  it('grants 300 s of skew on proxy notBefore only (§3.6)', () => {
    const nb = Date.parse(m.proxies['alice']?.notBefore ?? '');
    expect(validate('alice', { now: new Date(nb - 300_000) }).ok).toBe(true);
    const early = validate('alice', { now: new Date(nb - 301_000) });
    expect(early.ok ? 'valid' : early.error.code).toBe('CRED_PROXY_NOT_YET_VALID');
    const na = Date.parse(m.proxies['alice']?.notAfter ?? '');
    const late = validate('alice', { now: new Date(na) });
    expect(late.ok ? 'valid' : late.error.code).toBe('CRED_PROXY_EXPIRED');
  });

  it('rejects the proxy of a revoked user with CRED_CERT_REVOKED at the EEC (§5.3)', () => {
    const r = validate('revoked');
    if (r.ok) throw new Error('accepted');
    expect(r.error).toMatchObject({ code: 'CRED_CERT_REVOKED', position: 1, subject: m.users['revoked']?.subject });
  });

  it('rejects the untrusted CA user with CRED_CA_UNKNOWN (§4.2)', () => {
    const r = validate('mallory');
    expect(r.ok ? 'valid' : r.error.code).toBe('CRED_CA_UNKNOWN');
  });

  it('rejects a user outside the CA namespace, and accepts it with namespaces IGNORE (§5.5, §5.6)', () => {
    const r = validate('outsider');
    expect(r.ok ? 'valid' : r.error.code).toBe('CRED_NAMESPACE_NOT_PERMITTED');
    expect(validate('outsider', { namespaces: 'IGNORE' }).ok).toBe(true);
    const globus = validate('outsider', { namespaces: 'GLOBUS' });
    expect(globus.ok ? 'valid' : globus.error.code).toBe('CRED_NAMESPACE_NOT_PERMITTED');
  });

  it('rejects an expired user certificate under a valid proxy with CRED_CERT_EXPIRED', () => {
    const r = validate('expired-user');
    expect(r.ok ? 'valid' : r.error.code).toBe('CRED_CERT_EXPIRED');
  });

  it('validates plain EEC chains such as the host certificate', () => {
    const r = validateChain(chainOf(m.host.certFile), store, { now });
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.identity.subject.toSlash()).toBe('/DC=org/DC=gridauthz-dev/CN=host/localhost');
    expect(r.value.proxies).toEqual([]);
  });

  describe('VOMS (§6)', () => {
    it('extracts FQANs in AC order, primary first, with issuer, signer and generic attributes (§6.8)', () => {
      const v = value('alice-voms');
      expect(v.fqans.map((f) => f.original)).toEqual(['/atlas/Role=NULL/Capability=NULL', '/atlas/production/Role=NULL/Capability=NULL']);
      expect(v.primaryFqan?.original).toBe('/atlas/Role=NULL/Capability=NULL');
      expect(v.voms.rejected).toEqual([]);
      const ac = v.voms.acs[0];
      expect(ac).toMatchObject({ vo: 'atlas', host: 'voms.gridauthz-dev.org', port: 15001, holderEncoding: 'classic', targets: [] });
      expect(ac?.signer.toSlash()).toBe(m.voms['atlas']?.subject);
      expect(ac?.issuer.toSlash()).toBe(m.voms['atlas']?.subject);
      expect(ac?.attributes).toEqual([{ name: 'nickname', value: 'alice', qualifier: 'atlas' }]);
    });

    it('accepts the RFC 3281 holder encoding (newformat) (§6.3)', () => {
      const v = value('alice-voms-newformat');
      expect(v.voms.acs[0]?.holderEncoding).toBe('rfc3281');
      expect(v.fqans.map((f) => f.original)).toEqual(['/atlas/Role=NULL/Capability=NULL', '/atlas/production/Role=NULL/Capability=NULL']);
    });

    it('takes the AC from level 1 of a proxy of a VOMS proxy (§6.1)', () => {
      const v = value('alice-voms-proxy2');
      expect(v.proxies).toHaveLength(2);
      expect(v.fqans).toHaveLength(2);
    });

    it('keeps the AC of a limited proxy (§9.20)', () => {
      const v = value('alice-voms-limited');
      expect(v.limited).toBe(true);
      expect(v.primaryFqan?.original).toBe('/atlas/Role=NULL/Capability=NULL');
    });

    it('gives the pilot proxy /atlas/Role=pilot as primary FQAN', () => {
      const v = value('pilot-voms');
      expect(v.primaryFqan?.original).toBe('/atlas/Role=pilot/Capability=NULL');
      expect(v.identity.subject.toSlash()).toBe(m.users['pilot']?.subject);
    });

    it('keeps two ACs in order: atlas then dteam (§9.4)', () => {
      const v = value('alice-voms-two-vos');
      expect(v.voms.acs.map((a) => a.vo)).toEqual(['atlas', 'dteam']);
      expect(v.fqans.map((f) => f.original)).toEqual(['/atlas/Role=NULL/Capability=NULL', '/atlas/production/Role=NULL/Capability=NULL', '/dteam/Role=NULL/Capability=NULL']);
    });

    it('drops an expired AC with CRED_AC_EXPIRED; the proxy still identifies the user (§6.6, §10)', () => {
      const v = value('alice-ac-expired');
      expect(v.identity.subject.toSlash()).toBe(m.users['alice']?.subject);
      expect(v.fqans).toEqual([]);
      expect(v.voms.rejected).toEqual([expect.objectContaining({ index: 0, code: 'CRED_AC_EXPIRED', vo: 'atlas' })]);
    });

    it('drops an AC signed by a VOMS host absent from the vomsdir with CRED_AC_SIGNER_UNKNOWN (§6.5, §10)', () => {
      const v = value('alice-voms-rogue');
      expect(v.fqans).toEqual([]);
      expect(v.voms.rejected.map((r) => r.code)).toEqual(['CRED_AC_SIGNER_UNKNOWN']);
    });

    it("drops alice's AC grafted onto bob's proxy with CRED_AC_HOLDER_MISMATCH (§6.3)", () => {
      const v = value('bob-voms-stolen-ac');
      expect(v.identity.subject.toSlash()).toBe(m.users['bob']?.subject);
      expect(v.voms.rejected.map((r) => r.code)).toEqual(['CRED_AC_HOLDER_MISMATCH']);
      expect(v.fqans).toEqual([]);
    });

    it('honours the AC skew of ±300 s (§6.6)', () => {
      const ac = m.proxies['alice-voms']?.acs[0];
      const na = Date.parse(ac?.notAfter ?? '');
      expect(validate('alice-voms', { now: new Date(na + 299_000) }).ok).toBe(true);
      const r = validate('alice-voms', { now: new Date(na + 300_000) });
      expect(r.ok && r.value.voms.rejected.map((x) => x.code)).toEqual(['CRED_AC_EXPIRED']);
    });

    it('fails the credential in voms.onInvalidAc=reject mode with the AC error (§6.9)', () => {
      const r = validate('alice-voms-rogue', { voms: { onInvalidAc: 'reject' } });
      expect(r.ok ? 'valid' : r.error.code).toBe('CRED_AC_SIGNER_UNKNOWN');
    });
  });
});
