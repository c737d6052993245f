import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dn, silentLog } from '@gridauthz/domain';
import { generateDevPki, PkiBuilder } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { coarseCode, Der, IgtfTrustStore, inspectCredential, validateChain } from '@gridauthz/credentials';
import type { CredResult, ValidatedCredential } from '@gridauthz/credentials';
import { fixtures, makeCert, makeProxy } from './craft.testkit';
import type { Issued } from './craft.testkit';

const { der } = Der;
const code = (r: CredResult<ValidatedCredential>): string => (r.ok ? 'valid' : r.error.code);

/** docs/identities.md: names whose slash text is another name's are refused unless the site allows them. */
describe('validateChain and slash-ambiguous names', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  let now: Date;
  let ca: Issued;
  let alice: Issued;
  const v = (certs: readonly Issued[], opts: Partial<Parameters<typeof validateChain>[2]> = {}) =>
    validateChain(
      certs.map((c) => c.der),
      store,
      { now, ...opts },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-dn-'));
    m = await generateDevPki({ dir });
    now = new Date(Date.parse(m.now) + 60_000);
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
    ({ ca, alice } = fixtures(dir, m));
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // "\x2F" in our slash text is a "/" inside the OU value: one OU "People/CN=Alice Atlas", no CN.
  const SPLICED = '/DC=org/DC=gridauthz-dev/OU=People\\x2FCN=Alice Atlas';

  it('refuses an EEC whose OU value splices in Alice\'s CN, with CRED_DN_AMBIGUOUS, kept fine at the transport', () => {
    const mallory = makeCert(ca, SPLICED, now);
    expect(mallory.signer.dn.rdns).toHaveLength(3);
    expect(mallory.signer.dn.toOpenSslSlash()).toBe(alice.signer.dn.toSlash());
    const r = v([mallory]);
    expect(code(r)).toBe('CRED_DN_AMBIGUOUS');
    if (!r.ok) {
      expect(r.error.position).toBe(0);
      expect(r.error.subject).toBe(SPLICED);
      expect(r.error.detail).toMatch(/OU value "People\/CN=Alice Atlas"/);
      expect(coarseCode(r.error.code)).toBe('CRED_DN_AMBIGUOUS');
    }
    // Through a proxy too: the EEC is what is checked, not only the leaf.
    expect(code(v([makeProxy(mallory, now), mallory]))).toBe('CRED_DN_AMBIGUOUS');
  });

  it('refuses "+type=" and "\\xHH" in values, and a proxy CN that splices', () => {
    expect(code(v([makeCert(ca, '/DC=org/DC=gridauthz-dev/OU=People/CN=Mallory\\x2BUID=alice', now)]))).toBe('CRED_DN_AMBIGUOUS');
    expect(code(v([makeCert(ca, '/DC=org/DC=gridauthz-dev/OU=People/CN=Mallory\\x5Cx41', now)]))).toBe('CRED_DN_AMBIGUOUS');
    const cnSpliced = der.set(der.seq(der.oid('2.5.4.3'), der.utf8('123/CN=456')));
    const r = v([makeProxy(alice, now, { extraRdns: [cnSpliced] }), alice]);
    expect(code(r)).toBe('CRED_DN_AMBIGUOUS');
    if (!r.ok) expect(r.error.position).toBe(0);
  });

  it('accepts "/" in a value when no attribute type follows (host-style names)', () => {
    const host = makeCert(ca, '/DC=org/DC=gridauthz-dev/OU=People/CN=service/ce01.example.org', now);
    expect(code(v([host]))).toBe('valid');
  });

  it('cred inspect shows the refusal and the name in our unambiguous slash text', () => {
    const pem = PkiBuilder.pem('CERTIFICATE', makeCert(ca, SPLICED, now).der);
    const report = inspectCredential(pem, store, now);
    expect(report.verdict).toBe('invalid');
    expect(report.reasons[0]).toMatch(/^CRED_DN_AMBIGUOUS: .*\(certificate 0 \/DC=org\/DC=gridauthz-dev\/OU=People\\x2FCN=Alice Atlas\)$/);
    expect(report.certificates[0]?.subject?.slash).toBe(SPLICED);
    expect(report.certificates[0]?.subject?.rfc2253).toBe('OU=People/CN\\=Alice Atlas,DC=gridauthz-dev,DC=org');
    expect(inspectCredential(pem, store, now, { ambiguousDns: 'allow' }).verdict).toBe('valid');
  });

  it('with ambiguousDns allow, accepts it as its own structured name, never Alice', () => {
    const r = v([makeCert(ca, SPLICED, now)], { ambiguousDns: 'allow' });
    expect(code(r)).toBe('valid');
    if (!r.ok) return;
    const subject = r.value.identity.subject;
    expect(subject.toSlash()).toBe(SPLICED);
    expect(subject.equals(alice.signer.dn)).toBe(false);
    expect(subject.canonicalKey()).not.toBe(alice.signer.dn.canonicalKey());
    expect(subject.equals(Dn.parse(alice.signer.dn.toSlash()))).toBe(false);
    expect(subject.equals(Dn.parse('OU=People/CN=Alice Atlas,DC=gridauthz-dev,DC=org'))).toBe(true);
  });
});
