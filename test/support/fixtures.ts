import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCertificateLabel, isPrivateKeyLabel, pemTexts } from '@gridauthz/credentials';
import type { DevPkiManifest } from '@gridauthz/dev-pki';

/** Where global-setup writes the test PKI (by the same code as `gridauthz dev-pki`). */
export const FIXTURE_PKI_DIR = resolve(__dirname, '..', '.fixtures', 'pki');

let manifest: DevPkiManifest | undefined;
export function fixturePki(): DevPkiManifest {
  manifest ??= JSON.parse(readFileSync(join(FIXTURE_PKI_DIR, 'manifest.json'), 'utf8')) as DevPkiManifest;
  return manifest;
}

export const fixturePath = (relative: string): string => join(FIXTURE_PKI_DIR, relative);
export const readFixture = (relative: string): string => readFileSync(fixturePath(relative), 'utf8');

/** A TLS client identity: certificate chain PEM (leaf first) and key PEM. */
export interface ClientIdentity {
  readonly cert: string;
  readonly key: string;
}

/** A user's certificate and key from the fixture PKI. */
export function userIdentity(name: string): ClientIdentity {
  const user = fixturePki().users[name];
  if (!user) throw new Error(`no fixture user ${name}`);
  return { cert: readFixture(user.certFile), key: readFixture(user.keyFile) };
}

/** A proxy file (voms-proxy-init layout: proxy cert, key, issuer chain) as a TLS client identity. */
export function proxyIdentity(name: string): ClientIdentity {
  const proxy = fixturePki().proxies[name];
  if (!proxy) throw new Error(`no fixture proxy ${name}`);
  return proxyFileIdentity(readFixture(proxy.file));
}

export function proxyFileIdentity(text: string): ClientIdentity {
  const blocks = pemTexts(text);
  const key = blocks.find((b) => isPrivateKeyLabel(b.label));
  const certs = blocks.filter((b) => isCertificateLabel(b.label));
  if (!key || certs.length === 0) throw new Error('not a proxy file');
  return { cert: certs.map((b) => `${b.text}\n`).join(''), key: `${key.text}\n` };
}
