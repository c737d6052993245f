import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn, silentLog } from '@gridauthz/domain';
import { generateDevPki, PkiBuilder } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { Der, IgtfTrustStore, Oid, parsePemChain, validateChain } from '@gridauthz/credentials';
import type { CredResult, ValidatedCredential } from '@gridauthz/credentials';
import { fixtures, makeCert, makeProxy, rdnCn } from './craft.testkit';
import type { Issued } from './craft.testkit';

const { der } = Der;
const code = (r: CredResult<ValidatedCredential>): string => (r.ok ? 'valid' : r.error.code);

describe('validateChain on hand-made and hostile input', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let now: Date;
  let ca: Issued;
  let alice: Issued;
  let bob: Issued;
  const v = (certs: readonly (Issued | Buffer)[], opts: Partial<Parameters<typeof validateChain>[2]> = {}) =>
    validateChain(
      certs.map((c) => (Buffer.isBuffer(c) ? c : c.der)),
      store,
      { now, ...opts },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-adv-'));
    m = await generateDevPki({ dir });
    now = new Date(Date.parse(m.now) + 60_000);
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
    ({ ca, alice, bob } = fixtures(dir, m));
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a hand-made RFC 3820 proxy (the kit itself is sound)', () => {
    const r = v([makeProxy(alice, now), alice]);
    expect(code(r)).toBe('valid');
  });

  describe('malformed input (§1.1 step 1, §8)', () => {
    it('garbage PEM is CRED_CHAIN_MALFORMED, an empty text CRED_CHAIN_EMPTY', () => {
      const bad = parsePemChain('-----BEGIN CERTIFICATE-----\n@@@not base64@@@\n-----END CERTIFICATE-----\n');
      expect(bad.ok ? 'ok' : bad.error.code).toBe('CRED_CHAIN_MALFORMED');
      const notPem = parsePemChain('hello world');
      expect(notPem.ok ? 'ok' : notPem.error.code).toBe('CRED_CHAIN_MALFORMED');
      const empty = parsePemChain('');
      expect(empty.ok ? 'ok' : empty.error.code).toBe('CRED_CHAIN_EMPTY');
      const huge = parsePemChain('x'.repeat(70_000));
      expect(huge.ok ? 'ok' : huge.error.code).toBe('CRED_CHAIN_TOO_LONG');
    });

    it('a PEM block that decodes to garbage DER is rejected by validateChain with its position', () => {
      const r = v([makeProxy(alice, now), Buffer.from('this is not DER at all')]);
      expect(r.ok ? undefined : r.error).toMatchObject({ code: 'CRED_CHAIN_MALFORMED', position: 1 });
    });

    it.each([1, 10, 100, 400])('truncated DER (cut at %i bytes) is CRED_CHAIN_MALFORMED', (cut) => {
      const r = v([alice.der.subarray(0, cut)]);
      expect(code(r)).toBe('CRED_CHAIN_MALFORMED');
    });

    it('DER with a trailing byte, or a flipped tag anywhere, never throws', () => {
      expect(code(v([Buffer.concat([alice.der, Buffer.from([0])])]))).toBe('CRED_CHAIN_MALFORMED');
      for (let i = 0; i < alice.der.length; i += 7) {
        const mutated = Buffer.from(alice.der);
        mutated[i] = (mutated[i] as number) ^ 0xff;
        expect(() => v([mutated])).not.toThrow();
        expect(v([mutated]).ok, `byte ${i}`).toBe(false);
      }
    });

    it('non-Buffer entries and an empty chain are typed failures', () => {
      expect(code(v([]))).toBe('CRED_CHAIN_EMPTY');
      expect(code(validateChain(['x' as unknown as Buffer], store, { now }))).toBe('CRED_CHAIN_MALFORMED');
    });

    it('a 50-certificate chain is CRED_CHAIN_TOO_LONG before any signature work (§3.3)', () => {
      expect(code(v(Array.from({ length: 50 }, () => alice)))).toBe('CRED_CHAIN_TOO_LONG');
    });

    it('more than 10 proxies is CRED_CHAIN_TOO_LONG (§3.3 proxy.maxDepth)', () => {
      const chain: Issued[] = [alice];
      for (let i = 0; i < 11; i += 1) chain.unshift(makeProxy(chain[0] as Issued, now));
      expect(chain).toHaveLength(12);
      expect(code(v(chain))).toBe('CRED_CHAIN_TOO_LONG');
      expect(code(v(chain.slice(1)))).toBe('valid');
    });

    it('a duplicate extension is CRED_CHAIN_MALFORMED (§4.3)', () => {
      const ku = PkiBuilder.keyUsage([PkiBuilder.KU.digitalSignature]);
      expect(code(v([makeProxy(alice, now, { extensions: [ku] }), alice]))).toBe('CRED_CHAIN_MALFORMED');
    });

    it('a loop in the chain is CRED_CHAIN_MALFORMED', () => {
      const a = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const b = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const sa = PkiBuilder.makeSigner(Dn.fromSlash('/CN=loop a'), a);
      const sb = PkiBuilder.makeSigner(Dn.fromSlash('/CN=loop b'), b);
      const spec = { notBefore: new Date(now.getTime() - 1000), notAfter: new Date(now.getTime() + 1000_000), extensions: [PkiBuilder.basicConstraints(true)] };
      const x = PkiBuilder.certificate({ ...spec, serial: 1, issuer: sb, subjectDer: sa.nameDer, publicKey: a.publicKey });
      const y = PkiBuilder.certificate({ ...spec, serial: 2, issuer: sa, subjectDer: sb.nameDer, publicKey: b.publicKey });
      expect(code(v([x, y]))).toBe('CRED_CHAIN_MALFORMED');
    });

    it('duplicates, extra CA certificates and out-of-order issuers are tolerated (§3.3, §9.7)', () => {
      const p1 = makeProxy(alice, now);
      const p2 = makeProxy(p1, now);
      const r = v([p2, ca, alice, bob, p1, alice]);
      expect(code(r)).toBe('valid');
      if (r.ok) expect(r.value.chain.map((c) => c.role)).toEqual(['proxy', 'proxy', 'eec', 'ca']);
    });

    it('a self-signed CA presented by the caller is never trusted because it was presented (§9.7)', () => {
      const keys = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const rogue = PkiBuilder.makeSigner(Dn.fromSlash(m.ca.subject), keys);
      const rogueCa = { signer: rogue, der: PkiBuilder.certificate({ serial: 9, issuer: rogue, subjectDer: rogue.nameDer, publicKey: keys.publicKey, notBefore: new Date(now.getTime() - 1000), notAfter: new Date(now.getTime() + 1e9), extensions: [PkiBuilder.basicConstraints(true)] }) };
      const fakeAlice = makeCert(rogueCa, m.users['alice']?.subject ?? '', now);
      expect(code(v([makeProxy(fakeAlice, now), fakeAlice, rogueCa]))).toBe('CRED_CERT_SIGNATURE_INVALID');
    });
  });

  describe('proxy rules (§3.4, §3.5, §10 vectors)', () => {
    it('a CA posing as a proxy is CRED_PROXY_IS_CA (P5)', () => {
      const p = makeProxy(alice, now, { extensions: [PkiBuilder.basicConstraints(true)] });
      expect(code(v([p, alice]))).toBe('CRED_PROXY_IS_CA');
    });

    it.each([
      ['last RDN OU=x', [der.set(der.seq(der.oid('2.5.4.11'), der.utf8('x')))]],
      ['two extra CNs', [rdnCn('1'), rdnCn('2')]],
      ['multi-valued last RDN CN=a+CN=b', [der.set(der.seq(der.oid('2.5.4.3'), der.utf8('a')), der.seq(der.oid('2.5.4.3'), der.utf8('b')))]],
    ])('a proxy whose subject is not issuer + one CN is CRED_PROXY_SUBJECT_INVALID: %s (P3)', (_label, extraRdns) => {
      expect(code(v([makeProxy(alice, now, { extraRdns }), alice]))).toBe('CRED_PROXY_SUBJECT_INVALID');
    });

    it("a proxy whose subject extends another user's DN is CRED_PROXY_SUBJECT_INVALID (P3)", () => {
      const subjectDer = der.seq(Der.readDer(bob.signer.nameDer).content, rdnCn('123'));
      expect(code(v([makeProxy(alice, now, { subjectDer }), alice]))).toBe('CRED_PROXY_SUBJECT_INVALID');
    });

    it('a proxy not signed by its issuer key is CRED_PROXY_SIGNATURE_INVALID (P2)', () => {
      const p = makeProxy(alice, now, { signWith: bob.signer });
      expect(code(v([p, alice]))).toBe('CRED_PROXY_SIGNATURE_INVALID');
    });

    it('a proxy whose issuer lacks digitalSignature is CRED_PROXY_ISSUER_KEY_USAGE (P4)', () => {
      const p1 = makeProxy(alice, now, { keyUsageBits: [PkiBuilder.KU.keyEncipherment] });
      expect(code(v([makeProxy(p1, now), p1, alice]))).toBe('CRED_PROXY_ISSUER_KEY_USAGE');
    });

    it('a proxy with subjectAltName is CRED_PROXY_ALT_NAME (P6)', () => {
      const p = makeProxy(alice, now, { extensions: [PkiBuilder.subjectAltName(['evil.example.org'], [])] });
      expect(code(v([p, alice]))).toBe('CRED_PROXY_ALT_NAME');
    });

    it('a non-critical proxyCertInfo is CRED_PROXY_PCI_NOT_CRITICAL (§3.1)', () => {
      expect(code(v([makeProxy(alice, now, { pciCritical: false }), alice]))).toBe('CRED_PROXY_PCI_NOT_CRITICAL');
    });

    it('an undecodable proxyCertInfo is CRED_PROXY_PCI_MALFORMED (P7)', () => {
      const bad = PkiBuilder.ext(Oid.proxyCertInfo, true, der.seq(der.int(1)));
      expect(code(v([makeProxy(alice, now, { noPci: true, extensions: [bad] }), alice]))).toBe('CRED_PROXY_PCI_MALFORMED');
    });

    it('an unknown critical extension is CRED_UNHANDLED_CRITICAL_EXTENSION (P9)', () => {
      const odd = PkiBuilder.ext('1.2.3.4.5.6', true, der.null());
      expect(code(v([makeProxy(alice, now, { extensions: [odd] }), alice]))).toBe('CRED_UNHANDLED_CRITICAL_EXTENSION');
    });

    it('policy language 1.2.3.4.5 is CRED_PROXY_RESTRICTED_UNSUPPORTED (§3.5)', () => {
      expect(code(v([makeProxy(alice, now, { policy: '1.2.3.4.5' }), alice]))).toBe('CRED_PROXY_RESTRICTED_UNSUPPORTED');
    });

    it('an independent proxy is rejected by default and accepted with proxy.independent=as-eec (§3.5)', () => {
      const p = makeProxy(alice, now, { policy: Oid.pplIndependent });
      expect(code(v([p, alice]))).toBe('CRED_PROXY_INDEPENDENT_NOT_ALLOWED');
      const r = v([p, alice], { proxy: { independent: 'as-eec' } });
      expect(r.ok && r.value.identity.subject.toSlash()).toBe(m.users['alice']?.subject);
    });

    it('pathLen 0 with a proxy below it is CRED_PROXY_PATH_LENGTH_EXCEEDED; pathLen 1 passes (§3.5)', () => {
      const p0 = makeProxy(alice, now, { pathLen: 0 });
      expect(code(v([makeProxy(p0, now), p0, alice]))).toBe('CRED_PROXY_PATH_LENGTH_EXCEEDED');
      const p1 = makeProxy(alice, now, { pathLen: 1 });
      expect(code(v([makeProxy(p1, now), p1, alice]))).toBe('valid');
      expect(code(v([makeProxy(makeProxy(p1, now), now), makeProxy(p1, now), p1, alice]))).not.toBe('valid');
    });

    it('a full proxy signed by a limited proxy is CRED_PROXY_LIMITED_ESCALATION (§3.5)', () => {
      const limited = makeProxy(alice, now, { policy: Oid.pplLimited });
      expect(code(v([makeProxy(limited, now), limited, alice]))).toBe('CRED_PROXY_LIMITED_ESCALATION');
      const ok = v([makeProxy(limited, now, { policy: Oid.pplLimited }), limited, alice]);
      expect(ok.ok && ok.value.limited).toBe(true);
    });

    it('a legacy proxy issued by an RFC proxy is CRED_PROXY_FORMAT_MIXED (§3.5)', () => {
      const rfc = makeProxy(alice, now);
      const legacy = makeProxy(rfc, now, { noPci: true, extraRdns: [rdnCn('proxy')] });
      expect(code(v([legacy, rfc, alice]))).toBe('CRED_PROXY_FORMAT_MIXED');
    });

    it('draft (GT3) proxies are accepted with format draft, pathLen from [1] (§3.1, §3.2)', () => {
      const r = v([makeProxy(alice, now, { draft: true, pathLen: 2 }), alice]);
      expect(r.ok && r.value.proxies[0]).toMatchObject({ format: 'draft', policy: 'inheritAll', pathLen: 2 });
    });

    it('an RFC proxy whose CN is literally "proxy" is still an RFC proxy (§3.4)', () => {
      const r = v([makeProxy(alice, now, { extraRdns: [rdnCn('proxy')] }), alice]);
      expect(r.ok && r.value.proxies[0]?.format).toBe('rfc3820');
    });

    it('"CN=Proxy" (wrong case) without extension is not a legacy proxy but an EEC, so the chain fails (§3.1)', () => {
      const notLegacy = makeProxy(alice, now, { noPci: true, extraRdns: [rdnCn('Proxy')] });
      expect(code(v([notLegacy, alice]))).not.toBe('valid');
    });

    it('only proxies presented is CRED_PROXY_NO_EEC; a missing middle proxy is CRED_CHAIN_BROKEN (§3.3, §9.6)', () => {
      const p1 = makeProxy(alice, now);
      const p2 = makeProxy(p1, now);
      expect(code(v([p2, p1]))).toBe('CRED_PROXY_NO_EEC');
      expect(code(v([p2, alice]))).toBe('CRED_CHAIN_BROKEN');
    });

    it('a proxy issued directly by a CA is CRED_PROXY_ISSUED_BY_CA (§3.3)', () => {
      expect(code(v([makeProxy(ca, now), ca]))).toBe('CRED_PROXY_ISSUED_BY_CA');
      expect(code(v([makeProxy(ca, now)]))).toBe('CRED_PROXY_ISSUED_BY_CA');
    });

    it('an end-entity certificate issued by a proxy is CRED_PROXY_EEC_IN_CHAIN (§3.3)', () => {
      const p = makeProxy(alice, now);
      const eec = makeCert(p, `${m.users['alice']?.subject}/CN=12345/CN=sub`, now);
      expect(code(v([eec, p, alice]))).toBe('CRED_PROXY_EEC_IN_CHAIN');
    });
  });

  describe('PKI rules (§4)', () => {
    it('an end-entity certificate issued by another end entity is CRED_CA_INVALID', () => {
      const eec = makeCert(alice, '/DC=org/DC=gridauthz-dev/OU=People/CN=Sub User', now);
      expect(code(v([eec, alice]))).toBe('CRED_CA_INVALID');
    });

    it('an intermediate CA in the chain is used, and its subject must be in the namespace (§5.5)', () => {
      const inter = makeCert(ca, '/DC=org/DC=gridauthz-dev/CN=Sub CA', now, { ca: true });
      const user = makeCert(inter, '/DC=org/DC=gridauthz-dev/OU=People/CN=Sub User', now);
      // The sub CA has no policy files of its own: namespaces of the root apply only to the root's issuer
      // name, so nothing is defined for the sub CA and the default (non-REQUIRE) mode passes.
      const r = v([user, inter]);
      expect(code(r)).toBe('valid');
      if (r.ok) expect(r.value.chain.map((c) => c.role)).toEqual(['eec', 'ca', 'ca']);
      expect(code(v([user, inter], { namespaces: 'EUGRIDPMA_GLOBUS_REQUIRE' }))).toBe('CRED_NAMESPACE_UNDEFINED');
      const outside = makeCert(ca, '/DC=org/DC=other/CN=Sub CA 2', now, { ca: true });
      expect(code(v([makeCert(outside, '/DC=org/DC=other/CN=U', now), outside]))).toBe('CRED_NAMESPACE_NOT_PERMITTED');
    });

    it('an unknown critical extension on the EEC is CRED_UNHANDLED_CRITICAL_EXTENSION (§4.3)', () => {
      const eec = makeCert(ca, '/DC=org/DC=gridauthz-dev/OU=People/CN=Odd', now, { extensions: [PkiBuilder.ext('1.2.3.4', true, der.null())] });
      expect(code(v([eec]))).toBe('CRED_UNHANDLED_CRITICAL_EXTENSION');
    });

    it('an EEC alone (no proxy) can be validated: host and service certificates', () => {
      const r = v([alice]);
      expect(r.ok && r.value.proxies).toEqual([]);
    });
  });
});
