import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { generateDevPki } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { IgtfTrustStore, leafFirstOrder, NOT_ONE_SUBJECT, parseCertificateCached, parsePemChain, pemEncode, presentedChain, presentedChainFromText, validateChain } from '@gridauthz/credentials';

// The subject chain of a query arrives in whatever order the client wrote it (docs/dialects.md); ordering it and
// spotting two people's chains is the credentials lib's job, once, before validation.
describe('presentedChain', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;
  const chainOf = (name: string): Buffer[] => {
    const r = parsePemChain(readFileSync(join(dir, (m.proxies[name] ?? { file: '' }).file), 'utf8'));
    if (!r.ok) throw new Error(r.error.detail);
    return r.value;
  };
  const caDer = (): Buffer => {
    const r = parsePemChain(readFileSync(join(dir, m.ca.certFile), 'utf8'));
    if (!r.ok) throw new Error(r.error.detail);
    return r.value[0] as Buffer;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-presented-'));
    m = await generateDevPki({ dir });
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands on the certificates as sent; validateChain puts a chain sent top first leaf first and validates it', () => {
    const leafFirst = [...chainOf('alice-proxy2'), caDer()]; // proxy of a proxy, proxy, EEC, CA
    expect(leafFirst).toHaveLength(4);
    const topFirst = [...leafFirst].reverse();
    expect(presentedChain(topFirst)).toEqual({ ok: true, value: topFirst });
    const certs = topFirst.map((der) => parseCertificateCached(der));
    expect(leafFirstOrder(certs)).toEqual([3, 2, 1, 0]);
    const now = new Date(Date.parse(m.now) + 60_000);
    const v = validateChain(topFirst, store, { now });
    if (!v.ok) throw new Error(v.error.code);
    expect(v.value.proxies).toHaveLength(2);
    expect(v.value.chain.map((c) => c.der)).toEqual(leafFirst);
    // Shuffled the same: one answer whatever the order.
    const shuffled = [leafFirst[2], leafFirst[0], leafFirst[3], leafFirst[1]] as Buffer[];
    const again = validateChain(shuffled, store, { now });
    expect(again.ok && again.value.chain.map((c) => c.der)).toEqual(leafFirst);
  });

  it("refuses Alice's and Bob's chains sent as one", () => {
    expect(presentedChain([...chainOf('alice'), ...chainOf('bob')])).toEqual({ ok: false, problem: 'not-one-subject', detail: NOT_ONE_SUBJECT });
  });

  it('calls a value that is not a certificate malformed', () => {
    expect(presentedChain([Buffer.from('300302 0100'.replace(' ', ''), 'hex')])).toMatchObject({ ok: false, problem: 'malformed' });
  });

  it('leaves certificates that are not one issuer chain in the order received (the validator refuses them)', () => {
    const [proxy] = chainOf('bob');
    const sent = [caDer(), proxy as Buffer]; // the EEC between them is missing
    expect(presentedChain(sent)).toEqual({ ok: true, value: sent });
    expect(leafFirstOrder(sent.map((der) => parseCertificateCached(der)))).toBeUndefined();
    const v = validateChain(sent, store, { now: new Date(Date.parse(m.now) + 60_000) });
    expect(v.ok ? 'valid' : v.error.code).not.toBe('valid');
  });

  it("reads a query's text: PEM blocks or bare base64, as sent; a repeat answers from memory with a fresh array", () => {
    const [proxy, eec] = chainOf('alice');
    const values = [pemEncode('CERTIFICATE', eec as Buffer), (proxy as Buffer).toString('base64')];
    const first = presentedChainFromText(values);
    expect(first).toEqual({ ok: true, value: [eec, proxy] });
    const again = presentedChainFromText(values);
    if (!first.ok || !again.ok) throw new Error('not certificates');
    expect(again.value).not.toBe(first.value);
    again.value.forEach((der, i) => expect(der).toBe(first.value[i]));
    expect(presentedChainFromText(['not base64!'])).toMatchObject({ ok: false, problem: 'malformed' });
    expect(presentedChainFromText([pemEncode('CERTIFICATE', eec as Buffer).repeat(33)])).toEqual({ ok: false, problem: 'malformed', detail: 'more than 32 certificates' });
    expect(presentedChainFromText([...values, pemEncode('CERTIFICATE', chainOf('bob')[0] as Buffer)])).toMatchObject({ ok: false, problem: 'not-one-subject' });
  });

  it('parses each certificate once and keeps no view into the caller’s buffer', () => {
    const [leaf] = chainOf('alice');
    const mine = Buffer.from(leaf as Buffer);
    const first = parseCertificateCached(mine);
    mine.fill(0);
    const again = parseCertificateCached(Buffer.from(leaf as Buffer));
    expect(again).toBe(first);
    expect(first.der.equals(leaf as Buffer)).toBe(true);
  });
});
