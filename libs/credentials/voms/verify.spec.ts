import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fqan, silentLog } from '@gridauthz/domain';
import { acSeqExtension, attributeCertificate, generateDevPki, PkiBuilder } from '@gridauthz/dev-pki';
import type { AcSpec, DevPkiManifest } from '@gridauthz/dev-pki';
import { Der, IgtfTrustStore, Oid, subjectOfCredential, validateChain } from '@gridauthz/credentials';
import type { ValidatedCredential, ValidationOptions } from '@gridauthz/credentials';
import { fixtures, loadIssued, makeCert, makeProxy } from '../chain/craft.testkit';
import type { Issued } from '../chain/craft.testkit';

const { der } = Der;
const MEMBER = '/atlas/Role=NULL/Capability=NULL';

describe('VOMS AC verification (credentials.md §6.4)', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let now: Date;
  let alice: Issued;
  let bob: Issued;
  let voms: Issued;

  const ac = (o: Partial<AcSpec> = {}, holder: Issued = alice): Buffer =>
    attributeCertificate({
      vo: 'atlas',
      host: 'voms.gridauthz-dev.org',
      port: 15001,
      signer: voms.signer,
      signerCertDer: voms.der,
      holder: { subjectDer: holder.signer.nameDer, issuerDer: issuerNameOf(holder), serial: serialOf(holder) },
      holderEncoding: 'classic',
      fqans: [MEMBER],
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + 12 * 3600_000),
      serial: 1,
      ...o,
    });
  /** Validates alice's proxy carrying these ACs; returns the credential or throws on a chain failure. */
  const run = (acs: Buffer[], opts: Partial<ValidationOptions> = {}, holder: Issued = alice): ValidatedCredential => {
    const r = validateChain([makeProxy(holder, now, { extensions: [acSeqExtension(acs)] }).der, holder.der], store, { now, ...opts });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
    return r.value;
  };
  const rejected = (acs: Buffer[], opts: Partial<ValidationOptions> = {}): string[] => run(acs, opts).voms.rejected.map((r) => r.code);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-voms-'));
    m = await generateDevPki({ dir });
    now = new Date(Date.parse(m.now) + 60_000);
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
    ({ alice, bob } = fixtures(dir, m));
    voms = loadIssued(dir, m.voms['atlas']?.certFile ?? '', m.voms['atlas']?.keyFile ?? '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the hand-built reference AC (the builder itself is sound)', () => {
    const v = run([ac()]);
    expect(v.fqans.map((f) => f.original)).toEqual([MEMBER]);
    expect(v.voms.rejected).toEqual([]);
  });

  it('keeps short-form FQANs exactly as encoded (§6.8)', () => {
    expect(run([ac({ fqans: ['/atlas', '/atlas/Role=pilot'] })]).fqans.map((f) => f.original)).toEqual(['/atlas', '/atlas/Role=pilot']);
  });

  it.each([
    ['an FQAN of another VO', { fqans: [MEMBER, '/cms/Role=NULL/Capability=NULL'] }, 'CRED_AC_FQAN_OUTSIDE_VO'],
    ['an FQAN /atlasx (prefix is not enough)', { fqans: ['/atlasx/Role=NULL/Capability=NULL'] }, 'CRED_AC_FQAN_OUTSIDE_VO'],
    ['an FQAN that does not parse (empty group component)', { fqans: [MEMBER, '/atlas//prod'] }, 'CRED_AC_FQAN_INVALID'],
    ['an FQAN with two roles', { fqans: ['/atlas/Role=a/Role=b'] }, 'CRED_AC_FQAN_INVALID'],
    ['a policy authority without port', { tweak: { policyAuthority: 'atlas://voms.gridauthz-dev.org' } }, 'CRED_AC_POLICY_AUTHORITY_INVALID'],
    ['a policy authority without "://"', { tweak: { policyAuthority: 'atlas' } }, 'CRED_AC_POLICY_AUTHORITY_INVALID'],
    ['no noRevAvail', { tweak: { omitExtensions: [Oid.noRevAvail] } }, 'CRED_AC_EXTENSION_MISSING'],
    ['no authorityKeyIdentifier', { tweak: { omitExtensions: [Oid.authorityKeyIdentifier] } }, 'CRED_AC_EXTENSION_MISSING'],
    ['an unknown critical extension', { tweak: { extraExtensions: [PkiBuilder.ext('1.2.3.4', true, der.null())] } }, 'CRED_AC_CRITICAL_EXTENSION'],
    ['UTCTime validity', { tweak: { utcValidity: true } }, 'CRED_AC_MALFORMED'],
    ['version 3', { tweak: { version: 3 } }, 'CRED_AC_MALFORMED'],
    ['notBefore after notAfter', { notBefore: new Date(Date.now() + 1e6), notAfter: new Date(Date.now()) }, 'CRED_AC_MALFORMED'],
    ['another serial for the same holder DN (§9.3)', { tweak: { holderSerial: 0x99999n } }, 'CRED_AC_HOLDER_MISMATCH'],
    ['an objectDigestInfo holder', { tweak: { holder: der.seq(der.ctx(2, der.int(0))) } }, 'CRED_AC_HOLDER_UNSUPPORTED'],
    ['an entityName-only holder', { tweak: { holder: der.seq(der.ctx(1, der.ctx(4, der.seq()))) } }, 'CRED_AC_HOLDER_UNSUPPORTED'],
    ['an issuer name that is not the signer', (): Partial<AcSpec> => ({ tweak: { issuerNameDer: bob.signer.nameDer } }), 'CRED_AC_ISSUER_MISMATCH'],
    ['an authorityKeyIdentifier of another key', { tweak: { akiKeyId: Buffer.alloc(20, 7) } }, 'CRED_AC_ISSUER_MISMATCH'],
    ['targets naming another host', { tweak: { targets: ['elsewhere.example.org'] } }, 'CRED_AC_TARGET_MISMATCH'],
  ])('rejects an AC with %s', (_label, spec, expected) => {
    expect(rejected([ac(typeof spec === 'function' ? spec() : (spec as Partial<AcSpec>))])).toEqual([expected]);
  });

  it('turns the credential into the domain Subject: FQANs as Fqan, primary first, a refused AC recorded, not lost', () => {
    const acs = [ac({ fqans: [MEMBER, '/atlas/production'] }), ac({ vo: 'dteam', port: 15002, fqans: ['/dteam//x'] })];
    const subject = subjectOfCredential(run(acs, { voms: { onInvalidAc: 'drop-invalid' } }));
    expect(subject.dn.toSlash()).toBe(m.users['alice']?.subject);
    expect(subject.fqans.map((f) => f.toShort())).toEqual(['/atlas', '/atlas/production']);
    expect(subject.primaryFqan?.equals(Fqan.parse('/atlas'))).toBe(true);
    expect(subject.vos).toEqual(['atlas']);
    expect(subject.droppedAttributes).toEqual(['CRED_AC_FQAN_INVALID (dteam): FQAN "/dteam//x" does not parse']);
    // Under the default (ignore-all) the good AC's FQANs go too, and the reason is still recorded.
    const strict = subjectOfCredential(run(acs));
    expect(strict.fqans).toEqual([]);
    expect(strict.primaryFqan).toBeUndefined();
    expect(strict.droppedAttributes).toEqual(['CRED_AC_FQAN_INVALID (dteam): FQAN "/dteam//x" does not parse']);
  });

  it('checks the issuer+serial form of the AC authorityKeyIdentifier against the signer (§6.4 step 10)', () => {
    const akiOf = (issuerDer: Buffer, serial: bigint): Buffer =>
      PkiBuilder.ext(Oid.authorityKeyIdentifier, false, der.seq(der.ctx(1, der.ctx(4, issuerDer)), der.ctxPrim(2, Der.readDer(der.int(serial)).content)));
    const caName = issuerNameOf(voms);
    const good = ac({ tweak: { omitExtensions: [Oid.authorityKeyIdentifier], extraExtensions: [akiOf(caName, serialOf(voms))] } });
    expect(rejected([good])).toEqual([]);
    const wrong = ac({ tweak: { omitExtensions: [Oid.authorityKeyIdentifier], extraExtensions: [akiOf(caName, 0x4242n)] } });
    expect(rejected([wrong])).toEqual(['CRED_AC_ISSUER_MISMATCH']);
  });

  it('accepts targets naming an accepted host, by default this host (§6.7)', () => {
    expect(rejected([ac({ tweak: { targets: ['ce.example.org', hostname()] } })])).toEqual([]);
    expect(rejected([ac({ tweak: { targets: ['CE.example.org'] } })], { voms: { acceptedTargets: ['ce.example.org'] } })).toEqual([]);
  });

  it('rejects an AC whose signed bytes were altered with CRED_AC_SIGNATURE_INVALID', () => {
    const good = ac({ fqans: ['/atlas/Role=NULL/Capability=NULL'] });
    const tampered = Buffer.from(good.toString('latin1').replace('/atlas/Role=NULL', '/atlas/Role=ROOT'), 'latin1');
    expect(tampered.equals(good)).toBe(false);
    expect(rejected([tampered])).toEqual(['CRED_AC_SIGNATURE_INVALID']);
  });

  it('applies ±300 s skew to the AC notBefore (§6.6)', () => {
    expect(rejected([ac({ notBefore: new Date(now.getTime() + 299_000) })])).toEqual([]);
    expect(rejected([ac({ notBefore: new Date(now.getTime() + 301_000) })])).toEqual(['CRED_AC_NOT_YET_VALID']);
  });

  it('under ignore-all (default) one bad AC removes every FQAN; drop-invalid keeps the good AC; reject fails (§6.9)', () => {
    const acs = [ac({ fqans: [MEMBER] }), ac({ vo: 'dteam', port: 15002, fqans: ['/atlas/oops'] })];
    const ignoreAll = run(acs);
    expect(ignoreAll.fqans).toEqual([]);
    expect(ignoreAll.voms.acs).toHaveLength(1);
    expect(ignoreAll.voms.rejected).toEqual([expect.objectContaining({ index: 1, code: 'CRED_AC_FQAN_OUTSIDE_VO', vo: 'dteam' })]);
    expect(run(acs, { voms: { onInvalidAc: 'drop-invalid' } }).fqans.map((f) => f.original)).toEqual([MEMBER]);
    const r = validateChain([makeProxy(alice, now, { extensions: [acSeqExtension(acs)] }).der, alice.der], store, { now, voms: { onInvalidAc: 'reject' } });
    expect(r.ok ? 'valid' : r.error.code).toBe('CRED_AC_FQAN_OUTSIDE_VO');
  });

  it('refuses more than 16 ACs with CRED_AC_TOO_MANY (§9.21)', () => {
    expect(rejected(Array.from({ length: 17 }, () => ac()))).toEqual(['CRED_AC_TOO_MANY']);
  });

  it('records an undecodable ACSeq as CRED_AC_MALFORMED without failing the chain', () => {
    const bad = PkiBuilder.ext(Oid.vomsAcSeq, false, der.seq(der.int(1)));
    const r = validateChain([makeProxy(alice, now, { extensions: [bad] }).der, alice.der], store, { now });
    expect(r.ok && r.value.voms.rejected.map((x) => x.code)).toEqual(['CRED_AC_MALFORMED']);
  });

  it("binds the AC to the chain's EEC: bob's proxy with alice's AC is CRED_AC_HOLDER_MISMATCH (§6.3)", () => {
    expect(run([ac({}, alice)], {}, bob).voms.rejected.map((x) => x.code)).toEqual(['CRED_AC_HOLDER_MISMATCH']);
  });

  it('ignores ACs in a non-proxy certificate, with a warning (§9.5)', () => {
    const { ca } = fixtures(dir, m);
    const eec = makeCert(ca, '/DC=org/DC=gridauthz-dev/OU=People/CN=With AC', now, { extensions: [acSeqExtension([ac()])] });
    const r = validateChain([eec.der], store, { now });
    if (!r.ok) throw new Error(r.error.code);
    expect(r.value.fqans).toEqual([]);
    expect(r.value.warnings).toEqual(['VOMS extension in the end-entity certificate ignored (§9.5)']);
  });

  it('uses the ACs of the leaf-most proxy that carries them (§6.1)', () => {
    const level1 = makeProxy(alice, now, { extensions: [acSeqExtension([ac({ fqans: ['/atlas/level1'] })])] });
    const level2 = makeProxy(level1, now, { extensions: [acSeqExtension([ac({ fqans: ['/atlas/level2'] })])] });
    const r = validateChain([level2.der, level1.der, alice.der], store, { now });
    expect(r.ok && r.value.fqans.map((f) => f.original)).toEqual(['/atlas/level2']);
  });
});

function serialOf(holder: Issued): bigint {
  const tbs = Der.children(Der.children(Der.readDer(holder.der))[0] as Der.DerNode);
  return BigInt(`0x${Der.integerBytes(tbs[1]).toString('hex')}`);
}
function issuerNameOf(holder: Issued): Buffer {
  const tbs = Der.children(Der.children(Der.readDer(holder.der))[0] as Der.DerNode);
  return (tbs[3] as Der.DerNode).der;
}
