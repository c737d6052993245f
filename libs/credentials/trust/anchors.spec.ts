import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dn, silentLog } from '@gridauthz/domain';
import { PkiBuilder } from '@gridauthz/dev-pki';
import { IgtfTrustStore, parseCertificate, subjectHash, validateChain } from '@gridauthz/credentials';
import type { CredResult, ValidatedCredential } from '@gridauthz/credentials';
import type { Issued } from '../chain/craft.testkit';
import { makeCert, makeProxy } from '../chain/craft.testkit';

const now = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
const code = (r: CredResult<ValidatedCredential>): string => (r.ok ? 'valid' : r.error.code);

function ca(subject: string, o: { issuer?: Issued; pathLen?: number; notBefore?: Date; notAfter?: Date; keyCertSign?: boolean } = {}): Issued {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = PkiBuilder.makeSigner(Dn.fromSlash(subject), keys);
  const der = PkiBuilder.certificate({
    serial: BigInt(Math.floor(Math.random() * 1e9)),
    issuer: o.issuer?.signer ?? signer,
    subjectDer: signer.nameDer,
    publicKey: keys.publicKey,
    notBefore: o.notBefore ?? new Date(now.getTime() - DAY),
    notAfter: o.notAfter ?? new Date(now.getTime() + 365 * DAY),
    extensions: [
      PkiBuilder.basicConstraints(true, o.pathLen),
      PkiBuilder.keyUsage(o.keyCertSign === false ? [PkiBuilder.KU.cRLSign] : [PkiBuilder.KU.keyCertSign, PkiBuilder.KU.cRLSign]),
    ],
  });
  return { signer, der };
}

describe('trust anchors and CA paths (§4, §9.8)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const storeOf = async (cas: Issued[]): Promise<IgtfTrustStore> => {
    const dir = mkdtempSync(join(tmpdir(), 'cred-anchors-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'certificates'));
    const counters = new Map<string, number>();
    for (const c of cas) {
      const h = subjectHash(parseCertificate(c.der).subject);
      const n = counters.get(h) ?? 0;
      counters.set(h, n + 1);
      writeFileSync(join(dir, 'certificates', `${h}.${n}`), PkiBuilder.pem('CERTIFICATE', c.der));
    }
    return IgtfTrustStore.open({ caDir: join(dir, 'certificates'), log: silentLog });
  };

  it('tries every CA with the issuer name: key rollover under one subject (<hash>.0 and <hash>.1)', async () => {
    const oldCa = ca('/DC=org/DC=roll/CN=Roll CA');
    const newCa = ca('/DC=org/DC=roll/CN=Roll CA');
    const store = await storeOf([oldCa, newCa]);
    expect(store.stats(now).caCount).toBe(2);
    const userOld = makeCert(oldCa, '/DC=org/DC=roll/CN=Old User', now);
    const userNew = makeCert(newCa, '/DC=org/DC=roll/CN=New User', now);
    expect(code(validateChain([makeProxy(userOld, now).der, userOld.der], store, { now }))).toBe('valid');
    expect(code(validateChain([makeProxy(userNew, now).der, userNew.der], store, { now }))).toBe('valid');
  });

  it('an expired trust anchor is CRED_CA_EXPIRED; an EEC before notBefore is CRED_CERT_NOT_YET_VALID', async () => {
    const old = ca('/CN=Old CA', { notBefore: new Date(now.getTime() - 20 * DAY), notAfter: new Date(now.getTime() - DAY) });
    const store = await storeOf([old]);
    const user = makeCert(old, '/CN=User', now);
    const r = validateChain([user.der], store, { now });
    expect(r.ok ? undefined : r.error).toMatchObject({ code: 'CRED_CA_EXPIRED', position: 1 });
    const fresh = ca('/CN=Fresh CA');
    const s2 = await storeOf([fresh]);
    const u2 = makeCert(fresh, '/CN=Later User', now);
    // makeCert starts validity one day before `now`; EEC and CA get no skew (§3.6).
    expect(code(validateChain([u2.der], s2, { now: new Date(now.getTime() - DAY - 1000) }))).toBe('CRED_CERT_NOT_YET_VALID');
    expect(code(validateChain([u2.der], s2, { now: new Date(now.getTime() - DAY) }))).toBe('valid');
  });

  it('walks from an intermediate in the directory up to its root there, applying the root rules (§4.1)', async () => {
    const root = ca('/CN=Root CA');
    const sub = ca('/CN=Sub CA', { issuer: root });
    const user = makeCert(sub, '/CN=Sub User', now);
    const both = await storeOf([root, sub]);
    const r = validateChain([user.der], both, { now });
    expect(r.ok && r.value.chain.map((c) => c.subject?.toSlash())).toEqual(['/CN=Sub User', '/CN=Sub CA', '/CN=Root CA']);
    expect(r.ok && r.value.trustAnchor.toSlash()).toBe('/CN=Root CA');
    // Only the intermediate in the directory: it is the anchor.
    const onlySub = await storeOf([sub]);
    const r2 = validateChain([user.der], onlySub, { now });
    expect(r2.ok && r2.value.trustAnchor.toSlash()).toBe('/CN=Sub CA');
  });

  it('enforces CA basicConstraints pathLen and keyCertSign (CRED_CA_INVALID)', async () => {
    const root = ca('/CN=PL Root', { pathLen: 0 });
    const sub = ca('/CN=PL Sub', { issuer: root });
    const user = makeCert(sub, '/CN=PL User', now);
    const store = await storeOf([root]);
    expect(code(validateChain([user.der, sub.der], store, { now }))).toBe('CRED_CA_INVALID');
    const noSign = ca('/CN=No Sign CA', { keyCertSign: false });
    const s2 = await storeOf([noSign]);
    expect(code(validateChain([makeCert(noSign, '/CN=U', now).der], s2, { now }))).toBe('CRED_CA_INVALID');
  });

  it('reports CRED_CA_UNKNOWN when only an unrelated CA is trusted (§4.2)', async () => {
    const store = await storeOf([ca('/CN=Some CA')]);
    const other = ca('/CN=Other CA');
    expect(code(validateChain([makeCert(other, '/CN=U', now).der, other.der], store, { now }))).toBe('CRED_CA_UNKNOWN');
  });
});
