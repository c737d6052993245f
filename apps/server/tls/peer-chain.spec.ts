import { Agent, createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '@gridauthz/credentials';
import { fixturePki, proxyIdentity, readFixture } from '../../../test/support/fixtures';
import { peerChainDer } from './peer-chain';

/**
 * The client's chain as the listeners see it (credentials.md §2.1): the leaf, then what the client sent. Node 20
 * hands the sent certificates over only once per connection, so the second request on a kept-alive connection
 * (an admin CLI with an agent, a CE's PEP) must still see the whole chain.
 */
describe('peerChainDer', () => {
  const seen: Buffer[][] = [];
  const server = createServer(
    { cert: readFixture(fixturePki().host.certFile), key: readFixture(fixturePki().host.keyFile), ca: readFixture(fixturePki().ca.certFile), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      seen.push(peerChainDer(req.socket as TLSSocket));
      res.end('ok');
    },
  );
  beforeAll(() => new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok)));
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('gives the leaf and the sent chain on every request of a kept-alive connection', async () => {
    const identity = proxyIdentity('alice-proxy2');
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFixture(fixturePki().ca.certFile), cert: identity.cert, key: identity.key, servername: 'localhost' });
    const get = () =>
      new Promise<void>((ok, ko) => {
        const r = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', ok);
        });
        r.on('error', ko);
        r.end();
      });
    await get();
    await get();
    agent.destroy();
    const subjects = (chain: Buffer[]) => chain.map((der) => parseCertificate(der).subject.dn?.toSlash());
    const alice = fixturePki().users['alice']?.subject;
    expect(seen).toHaveLength(2);
    // proxy of a proxy, the proxy, alice's certificate: leaf first, as sent.
    expect(subjects(seen[0] ?? [])).toEqual([expect.stringMatching(new RegExp(`^${alice}/CN=\\d+/CN=\\d+$`)), expect.stringMatching(new RegExp(`^${alice}/CN=\\d+$`)), alice]);
    expect(subjects(seen[1] ?? [])).toEqual(subjects(seen[0] ?? []));
  });
});
