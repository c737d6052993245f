import { createPrivateKey, createPublicKey } from 'node:crypto';
import { encodeName, Oid } from '@gridauthz/credentials';
import { DEV_CA_DN, PkiBuilder } from '@gridauthz/dev-pki';
import { Dn } from '@gridauthz/domain';
import { type ClientIdentity, fixturePki, readFixture } from './fixtures';

export interface TestHost {
  readonly name: string;
  /** Slash form of the host certificate subject, /DC=org/DC=gridauthz-dev/CN=host/<name>. */
  readonly dn: string;
  readonly serialHex: string;
  readonly identity: ClientIdentity;
}

/**
 * A host certificate for `name` (CN=host/<name>, clientAuth) issued by the fixture PKI's dev CA, so a test can have
 * several "hosts" with distinct TLS identities.
 */
export async function issueHostCertificate(name: string, serial: bigint, notBefore: Date): Promise<TestHost> {
  const pki = fixturePki();
  const caPrivate = createPrivateKey(readFixture(pki.ca.keyFile));
  const ca = PkiBuilder.makeSigner(Dn.fromSlash(DEV_CA_DN), { privateKey: caPrivate, publicKey: createPublicKey(caPrivate) });
  const keys = await PkiBuilder.rsaKey();
  const dn = `/DC=org/DC=gridauthz-dev/CN=host/${name}`;
  const der = PkiBuilder.certificate({
    serial,
    issuer: ca,
    subjectDer: encodeName(Dn.fromSlash(dn)),
    publicKey: keys.publicKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 30 * 86_400_000),
    extensions: [
      PkiBuilder.basicConstraints(false),
      PkiBuilder.keyUsage([PkiBuilder.KU.digitalSignature, PkiBuilder.KU.keyEncipherment]),
      PkiBuilder.extKeyUsage([Oid.serverAuth, Oid.clientAuth]),
      PkiBuilder.subjectKeyId(keys.publicKey),
      PkiBuilder.authorityKeyId(ca.keyId),
      PkiBuilder.subjectAltName([name], []),
    ],
  });
  return {
    name,
    dn,
    serialHex: serial.toString(16),
    identity: { cert: PkiBuilder.pem('CERTIFICATE', der), key: PkiBuilder.privateKeyPem(keys.privateKey) },
  };
}
