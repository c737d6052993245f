import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, fixturePki, proxyIdentity } from '../support/fixtures';
import { askPdp } from '../support/pdp-client';
import { databaseLabel } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

/** Optional response signing (saml2-xacml2.md §7.4), checked by an independent verifier: xmlsec1. */
describe(`signed responses (${databaseLabel()})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({
      config: { pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [], callers: [], signResponses: true } },
    });
  });
  afterAll(async () => t?.close());

  it('carries an enveloped signature over the Response that xmlsec1 verifies with the host certificate', async () => {
    const outcome = await askPdp({ url: t.server.pdpUrl, ca: t.ca, caller: proxyIdentity('pilot-voms'), payloadProxy: 'alice-voms', dialect: 'authz-interop' });
    expect(outcome.answer?.decision).toBe('Permit');
    const file = join(mkdtempSync(join(tmpdir(), 'gridauthz-signed-')), 'response.xml');
    writeFileSync(file, outcome.http.body);
    const cert = fixturePath(fixturePki().host.certFile);
    const verify = (path: string) =>
      spawnSync('xmlsec1', ['--verify', '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response', '--pubkey-cert-pem', cert, path], { encoding: 'utf8' });
    const good = verify(file);
    expect(good.status, `${good.stdout}${good.stderr}`).toBe(0);
    const tampered = `${file}.tampered.xml`;
    writeFileSync(tampered, outcome.http.body.replace(/>Permit</, '>Deny<'));
    expect(verify(tampered).status).not.toBe(0);
  });
});
