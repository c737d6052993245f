import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { generateDevPki } from '@gridauthz/dev-pki';
import type { DevPkiManifest } from '@gridauthz/dev-pki';
import { CredentialValidator, IgtfTrustStore, peerCertificateChain } from '@gridauthz/credentials';

/** The path the server's TLS guard takes (§2.1): proxies are accepted by TLS unverified, then validated here. */
describe('proxy client over mutual TLS', () => {
  let dir: string;
  let m: DevPkiManifest;
  let store: IgtfTrustStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cred-tls-'));
    m = await generateDevPki({ dir });
    store = await IgtfTrustStore.open({ caDir: join(dir, m.caDir), vomsDir: join(dir, m.vomsDir), log: silentLog });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const peerChainFor = async (proxyName: string): Promise<Buffer[]> => {
    const server = createServer({
      key: readFileSync(join(dir, m.host.keyFile)),
      cert: readFileSync(join(dir, m.host.certFile)),
      ca: store.anchorsPem(),
      requestCert: true,
      rejectUnauthorized: false, // OpenSSL in Node refuses proxy chains; validation happens in the lib
    });
    const chain = new Promise<Buffer[]>((resolve) => {
      server.on('secureConnection', (socket: TLSSocket) => {
        resolve(peerCertificateChain(socket.getPeerCertificate(true)));
        socket.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const pem = readFileSync(join(dir, m.proxies[proxyName]?.file ?? ''), 'utf8');
    const client = connect({
      host: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      servername: 'localhost',
      key: pem,
      cert: pem,
      ca: store.anchorsPem(),
    });
    client.on('error', () => undefined);
    try {
      return await chain;
    } finally {
      client.destroy();
      server.close();
    }
  };

  it('validates the chain of a VOMS proxy presented as TLS client certificate', async () => {
    const chain = await peerChainFor('pilot-voms');
    expect(chain).toHaveLength(3); // proxy, EEC, and the CA from the server's `ca` option
    const r = new CredentialValidator(store).validate(chain, new Date());
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
    expect(r.value.identity.subject.toSlash()).toBe(m.users['pilot']?.subject);
    expect(r.value.proxies.length > 0).toBe(true);
    expect(r.value.primaryFqan?.original).toBe('/atlas/Role=pilot/Capability=NULL');
  });

  it('validates a proxy of a proxy and rejects a revoked user the same way', async () => {
    const two = new CredentialValidator(store).validate(await peerChainFor('alice-proxy2'), new Date());
    expect(two.ok && two.value.proxies).toHaveLength(2);
    const revoked = new CredentialValidator(store).validate(await peerChainFor('revoked'), new Date());
    expect(revoked.ok ? 'valid' : revoked.error.code).toBe('CRED_CERT_REVOKED');
  });
});
