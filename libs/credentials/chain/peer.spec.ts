import { describe, expect, it } from 'vitest';
import { peerCertificateChain } from '@gridauthz/credentials';
import type { PeerCertificateLike } from '@gridauthz/credentials';

describe('peerCertificateChain (§2.1)', () => {
  it('follows issuerCertificate links leaf first and stops at the self-linked root', () => {
    const root: { raw: Buffer; issuerCertificate?: PeerCertificateLike } = { raw: Buffer.from('root') };
    root.issuerCertificate = root;
    const eec = { raw: Buffer.from('eec'), issuerCertificate: root };
    const proxy = { raw: Buffer.from('proxy'), issuerCertificate: eec };
    expect(peerCertificateChain(proxy).map((b) => b.toString())).toEqual(['proxy', 'eec', 'root']);
  });

  it('stops on a repeated certificate, a missing raw, and handles no certificate at all', () => {
    const a = { raw: Buffer.from('a'), issuerCertificate: { raw: Buffer.from('a') } };
    expect(peerCertificateChain(a)).toHaveLength(1);
    expect(peerCertificateChain({ raw: Buffer.from('x'), issuerCertificate: {} })).toHaveLength(1);
    expect(peerCertificateChain({})).toEqual([]);
    expect(peerCertificateChain(undefined)).toEqual([]);
  });
});
