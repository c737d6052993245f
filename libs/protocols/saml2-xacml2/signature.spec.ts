import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthzResult } from '@gridauthz/domain';
import { SignedXml } from 'xml-crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { validatePayload } from '../test-support/xmllint';
import { decodeXacmlQuery } from './decode';
import type { DecodedQuery } from './decode';
import { encodeSignedXacmlResponse } from './encode';
import type { RequestSignaturePolicy } from './signature';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'gridauthz-dsig-'));

interface KeyPair {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
}
/** A throwaway RSA key and self-signed certificate (test only; nothing is committed). */
function keyPair(name: string): KeyPair {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${name}`, '-days', '1'], { stdio: 'pipe' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile };
}

// Created at collection time: the wrapping cases build their messages in describe bodies.
const server = keyPair('server');
const pep = keyPair('pep');
const attacker = keyPair('attacker');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const permit: AuthzResult = {
  decisionId: 'd',
  decision: 'Permit',
  status: 'ok',
  account: { username: 'atlasprd042', uid: 40123, gid: 4001, groupName: 'atlasprd', secondaryGids: [4002], secondaryGroupNames: ['atlas'] },
  obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }],
  reasons: [],
};
let n = 0;
const opts = () => ({ issuer: 'https://authz.example.org', now: new Date('2024-05-01T12:00:00Z'), idGenerator: () => `_sig${++n}` });

function decoded(body: string): DecodedQuery {
  const result = decodeXacmlQuery(body);
  if (!result.ok) throw new Error(result.error.code);
  return result.value;
}

function xmlsecVerify(xml: string, certFile: string): { ok: boolean; output: string } {
  const file = join(dir, `signed-${++n}.xml`);
  writeFileSync(file, xml);
  const run = spawnSync('xmlsec1', ['--verify', '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response', '--pubkey-cert-pem', certFile, file], { encoding: 'utf8' });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

describe('response signing', () => {
  it('xmlsec1 verifies our signed authz-interop response; a tampered one fails', () => {
    const signed = encodeSignedXacmlResponse(decoded(fixture('spec-11a-query.xml')), permit, { ...opts(), signingKey: { privateKeyPem: server.key, certificatePem: server.cert } });
    expect(signed.ok).toBe(true);
    if (!signed.ok) return;
    // Schema position: Response/Issuer, then Signature, then Status.
    expect(signed.value).toMatch(/<\/saml2:Issuer><ds:Signature xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/);
    expect(signed.value).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');
    expect(signed.value).toContain('Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"');
    const verdict = xmlsecVerify(signed.value, server.certFile);
    expect(verdict.output).toContain('OK');
    expect(verdict.ok).toBe(true);
    expect(xmlsecVerify(signed.value.replace('>40123<', '>0<'), server.certFile).ok).toBe(false);
    expect(xmlsecVerify(signed.value, attacker.certFile).ok).toBe(false);
    expect(validatePayload(signed.value).valid).toBe(true);
  });

  it('signs gLite responses (no Response Issuer) with the Signature first; xmlsec1 and the schema accept it', () => {
    const signed = encodeSignedXacmlResponse(decoded(fixture('spec-11b-query.xml')), permit, { ...opts(), signingKey: { privateKeyPem: server.key, certificatePem: server.cert } });
    if (!signed.ok) throw new Error(signed.error.detail);
    expect(signed.value).toMatch(/<saml2p:Response [^>]*><ds:Signature /);
    expect(xmlsecVerify(signed.value, server.certFile).ok).toBe(true);
    expect(validatePayload(signed.value).valid).toBe(true);
  });

  it('a bad key is a typed Server-side error, not an exception', () => {
    const signed = encodeSignedXacmlResponse(decoded(fixture('spec-11b-query.xml')), permit, { ...opts(), signingKey: { privateKeyPem: 'not a key', certificatePem: server.cert } });
    expect(signed.ok).toBe(false);
    if (!signed.ok) expect(signed.error.code).toBe('PROTO_SIGNING_FAILED');
  });
});

const QUERY_XPATH = "//*[local-name()='XACMLAuthzDecisionQuery']";
const ISSUER_XPATH = `${QUERY_XPATH}/*[local-name()='Issuer']`;

/** Signs the §11(b) query as a SAML requester would: enveloped, reference to the query's ID, after its Issuer. */
function signQuery(xml: string, signer: KeyPair, signatureAlgorithm = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digestAlgorithm = 'http://www.w3.org/2001/04/xmlenc#sha256'): string {
  const sig = new SignedXml({ privateKey: signer.key, publicCert: signer.cert, signatureAlgorithm, canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
  sig.addReference({ xpath: QUERY_XPATH, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: ISSUER_XPATH, action: 'after' } });
  return sig.getSignedXml();
}

describe('signed query verification', () => {
  const query = fixture('spec-11b-query.xml');
  const trusting = (...keys: KeyPair[]): RequestSignaturePolicy => ({ trustedKeys: keys.map((k) => k.cert), required: true });
  const decode = (body: string, policy: RequestSignaturePolicy): string => {
    const result = decodeXacmlQuery(body, {}, { signature: policy });
    return result.ok ? `ok:${result.value.signedBy ?? 'unsigned'}` : result.error.code;
  };

  it('accepts a query signed by a trusted key and decodes what was signed', () => {
    const signed = signQuery(query, pep);
    expect(decode(signed, trusting(attacker, pep))).toBe('ok:1');
    const result = decodeXacmlQuery(signed, {}, { signature: trusting(pep) });
    if (!result.ok) throw new Error(result.error.code);
    expect(result.value.request.subject.assertedDn?.toRfc2253()).toBe('CN=Jane Doe 1234,OU=People,DC=example,DC=org');
    expect(result.value.dialect).toBe('grid-wn');
  });

  it('refuses a signature by an untrusted key, even though the message carries that key in KeyInfo', () => {
    const signed = signQuery(query, attacker);
    expect(signed).toContain('<ds:X509Certificate>');
    expect(decode(signed, trusting(pep))).toBe('PROTO_SIGNATURE_INVALID');
  });

  it('refuses a tampered query', () => {
    const signed = signQuery(query, pep).replace('CN=Jane Doe 1234,OU=People', 'CN=Mallory,OU=People');
    expect(decode(signed, trusting(pep))).toBe('PROTO_SIGNATURE_INVALID');
  });

  it('refuses an unsigned query when signatures are required, accepts it when they are not', () => {
    expect(decode(query, trusting(pep))).toBe('PROTO_SIGNATURE_MISSING');
    expect(decode(query, { trustedKeys: [pep.cert], required: false })).toBe('ok:unsigned');
  });

  it('refuses algorithms off the allow-list (RSA-SHA1, SHA-1 digests)', () => {
    expect(decode(signQuery(query, pep, 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'), trusting(pep))).toBe('PROTO_SIGNATURE_ALGORITHM');
    expect(decode(signQuery(query, pep, undefined, 'http://www.w3.org/2000/09/xmldsig#sha1'), trusting(pep))).toBe('PROTO_SIGNATURE_ALGORITHM');
  });

  describe('signature wrapping', () => {
    const signed = signQuery(query, pep);
    const original = /<xacml-samlp:XACMLAuthzDecisionQuery[\s\S]*<\/xacml-samlp:XACMLAuthzDecisionQuery>/.exec(signed)?.[0] ?? '';
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(original)?.[0] ?? '';
    const evil = (id: string, withSignature: boolean): string =>
      original
        .replace('_a1b2c3d4e5f60718293a4b5c6d7e8f90', id)
        .replace('CN=Jane Doe 1234,OU=People', 'CN=Mallory,OU=People')
        .replace(signature, withSignature ? signature : '');
    /** The genuine signed query hidden in the SOAP Header, a forged one in the Body. */
    const wrapped = (forged: string): string =>
      signed.replace(original, forged).replace('<soap11:Body>', `<soap11:Header>${original}</soap11:Header><soap11:Body>`);

    it('sanity: the parts were found', () => {
      expect(original).not.toBe('');
      expect(signature).not.toBe('');
      expect(wrapped(evil('_forged', false))).toContain('<soap11:Header>');
    });

    it('forged unsigned query in the Body, signed original in the Header', () => {
      expect(decode(wrapped(evil('_forged', false)), trusting(pep))).toBe('PROTO_SIGNATURE_MISSING');
    });

    it('forged query carrying the original signature (reference to the hidden original)', () => {
      expect(decode(wrapped(evil('_forged', true)), trusting(pep))).toBe('PROTO_SIGNATURE_WRAPPING');
    });

    it('forged query with the same ID as the hidden original', () => {
      expect(decode(wrapped(evil('_a1b2c3d4e5f60718293a4b5c6d7e8f90', true)), trusting(pep))).toBe('PROTO_SIGNATURE_WRAPPING');
    });

    it('original hidden inside the forged query', () => {
      const nested = evil('_forged', true).replace('</saml2:Issuer>', `</saml2:Issuer><samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${original}</samlp:Extensions>`);
      expect(decode(signed.replace(original, nested), trusting(pep))).toBe('PROTO_SIGNATURE_WRAPPING');
    });
  });
});
