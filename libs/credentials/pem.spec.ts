import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { containsPrivateKey, isCertificateLabel, parsePemChain, pemBlocks, pemEncode, pemTexts } from '@gridauthz/credentials';

describe('PEM (RFC 7468)', () => {
  const der = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

  it('writes 64-column base64 between the labels, as OpenSSL does, and reads it back', () => {
    const text = pemEncode('CERTIFICATE', der);
    const lines = text.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines[1]).toHaveLength(64);
    expect(lines.at(-2)).toBe('-----END CERTIFICATE-----');
    expect(text.endsWith('\n')).toBe(true);
    expect(pemBlocks(text)).toEqual([{ label: 'CERTIFICATE', der }]);
  });

  it('picks the certificates of a voms-proxy-init file and never keeps the key', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'sec1' }) as string;
    const file = pemEncode('CERTIFICATE', der) + key + pemEncode('CERTIFICATE', Buffer.from('issuer'));
    expect(containsPrivateKey(file)).toBe(true);
    expect(pemTexts(file).map((b) => b.label)).toEqual(['CERTIFICATE', 'EC PRIVATE KEY', 'CERTIFICATE']);
    const chain = parsePemChain(file);
    expect(chain.ok && chain.value).toEqual([der, Buffer.from('issuer')]);
    expect(pemTexts(file).filter((b) => isCertificateLabel(b.label)).map((b) => b.text)).toEqual([pemEncode('CERTIFICATE', der).trimEnd(), pemEncode('CERTIFICATE', Buffer.from('issuer')).trimEnd()]);
  });

  it('refuses a body that is not base64, and text that is not PEM', () => {
    expect(() => pemBlocks('-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----')).toThrow(/not valid base64/);
    expect(parsePemChain('hello')).toMatchObject({ ok: false, error: { code: 'CRED_CHAIN_MALFORMED' } });
    expect(parsePemChain('')).toMatchObject({ ok: false, error: { code: 'CRED_CHAIN_EMPTY' } });
    expect(containsPrivateKey(pemEncode('CERTIFICATE', der))).toBe(false);
  });
});
