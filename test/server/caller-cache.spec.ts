import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '@gridauthz/credentials';
import { PkiBuilder } from '@gridauthz/dev-pki';
import type { Dn } from '@gridauthz/domain';
import { httpsCall } from '../support/https-client';
import { fixturePath, fixturePki, proxyIdentity } from '../support/fixtures';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/**
 * A caller's validated chain is remembered per process, keyed by its certificates' digests (the credential
 * validator's cache, BENCHMARKS.md "Caller chains"), so a glexec that opens a connection per payload does not pay
 * for the whole validation each time. Revocation and expiry must still apply to every connection
 * (credentials.md §5.2, §4): a caller accepted (and cached) a moment ago is refused on its next connection once the
 * CA's CRL lists it or its proxy has expired.
 */
describe(`cached caller chains still meet revocation and expiry (${databaseLabel()})`, () => {
  const pki = fixturePki();
  let t: TestServer;
  let dir: string;
  let now = new Date();
  const alice = proxyIdentity('alice');
  const call = () => httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity: alice });
  const code = async (): Promise<string> => {
    const res = await call();
    return res.status === 200 ? 'accepted' : (JSON.parse(res.body) as { code: string }).code;
  };

  beforeAll(async () => {
    // A private trust directory this test may rewrite, as fetch-crl does.
    dir = mkdtempSync(join(tmpdir(), 'caller-cache-'));
    cpSync(fixturePath(pki.caDir), join(dir, 'certificates'), { recursive: true, dereference: true });
    cpSync(fixturePath(pki.vomsDir), join(dir, 'vomsdir'), { recursive: true, dereference: true });
    t = await startTestServer({
      clock: () => now,
      config: { trust: { caDir: join(dir, 'certificates'), vomsDir: join(dir, 'vomsdir'), allowAmbiguousDns: false } },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a cached caller on its next connection once a reloaded CRL lists the caller's certificate", async () => {
    now = new Date();
    expect(await code()).toBe('accepted');
    expect(await code()).toBe('accepted'); // the second connection is served from the cache
    // The CA's next CRL also lists alice (serial 0x1004), written as fetch-crl does: a temporary file renamed over
    // the old one, under both hash names.
    const caPem = readFileSync(fixturePath(pki.ca.certFile), 'utf8');
    const caDer = Buffer.from((/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(caPem)?.[1] ?? '').replace(/\s+/g, ''), 'base64');
    const caCert = parseCertificate(caDer);
    const privateKey = createPrivateKey(readFileSync(fixturePath(pki.ca.keyFile)));
    const signer = PkiBuilder.makeSigner(caCert.subject.dn as Dn, { privateKey, publicKey: createPublicKey(privateKey) }, caCert.subject.der);
    const aliceSerial = BigInt(`0x${pki.users['alice']?.serialHex ?? ''}`);
    const revokedSerial = BigInt(`0x${pki.users['revoked']?.serialHex ?? ''}`);
    const crl = PkiBuilder.pem(
      'X509 CRL',
      PkiBuilder.crl(signer, new Date(now.getTime() - 60_000), new Date(now.getTime() + 86_400_000), [aliceSerial, revokedSerial].map((serial) => ({ serial, date: new Date(now.getTime() - 30_000) })), 2),
    );
    for (const hash of [pki.ca.hash, pki.ca.oldHash]) {
      const tmp = join(dir, 'certificates', `crl-${hash}.tmp`);
      writeFileSync(tmp, crl);
      renameSync(tmp, join(dir, 'certificates', `${hash}.r0`));
    }
    // The listener picks the change up by itself (fs.watch, with polling as the fallback).
    const deadline = Date.now() + 15_000;
    let last = await code();
    while (last === 'accepted' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      last = await code();
    }
    expect(last).toBe('CRED_REVOKED');
  }, 30_000);
});

describe(`a cached caller whose proxy expires (${databaseLabel()})`, () => {
  const pki = fixturePki();
  let t: TestServer;
  let now = new Date();
  beforeAll(async () => {
    t = await startTestServer({ clock: () => now });
  });
  afterAll(async () => t?.close());

  it('is refused on its next connection after the proxy notAfter, though its chain was cached', async () => {
    const alice = proxyIdentity('alice');
    const call = () => httpsCall({ url: `${t.server.pdpUrl}/status`, ca: t.ca, identity: alice });
    const notAfter = Date.parse(pki.proxies['alice']?.notAfter ?? '');
    expect(Number.isFinite(notAfter)).toBe(true);
    now = new Date(notAfter - 60_000);
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    now = new Date(notAfter + 1000);
    const res = await call();
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'CRED_PROXY_EXPIRED' });
  });
});
