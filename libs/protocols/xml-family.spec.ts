import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dn } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import type { CodecInput } from './codec';
import { encodePrimaRequest } from './prima/client';
import { V5, V6 } from './prima/test-support/vectors';
import { encodeXacmlQuery } from './saml2-xacml2/client/query';
import { parseUntrustedXml } from './xml/safe-parse';
import type { XmlLimits } from './xml/safe-parse';
import { XmlParseStep } from './xml/parse-step';
import { xmlCodecFamily } from './xml-family';

const now = new Date('2024-05-01T12:00:00Z');
const context = { now, newId: () => '_id1', callerDn: Dn.fromSlash('/DC=org/CN=gk01.example.org') };
const chainPem = ['proxy-cert.pem', 'user-cert.pem'].map((f) => readFileSync(join(__dirname, 'saml2-xacml2', 'fixtures', f), 'utf8')).join('');
const xacmlBody = Buffer.from(encodeXacmlQuery({ dialect: 'grid-wn', subjectChainPem: chainPem, subjectDn: '/DC=org/DC=example/OU=People/CN=Jane Doe 1234', resource: 'wn', action: 'execute', now, idGenerator: () => '_q1' }).body);
const primaBody = Buffer.from(encodePrimaRequest({ subjectDn: '/DC=org/CN=Jane Doe', resourceDn: '/DC=org/CN=gk01.example.org', now, idGenerator: () => 'r1' }).body);
// A mapped Permit as the core answers it: the account with the map obligation it fulfils (docs/architecture.md, "Obligations").
const permit: AuthzResult = {
  decisionId: 'd1',
  decision: 'Permit',
  status: 'ok',
  reasons: [],
  account: { username: 'jane', uid: 1000, gid: 1000, groupName: 'users', secondaryGids: [] },
  obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }],
};

function family() {
  let parses = 0;
  const parseStep = new XmlParseStep({}, (body: Buffer, limits: XmlLimits) => {
    parses += 1;
    return parseUntrustedXml(body, limits);
  });
  const codec = xmlCodecFamily({ limits: {}, parseStep, saml2Xacml2: { issuer: 'https://pdp.example.org' }, prima: { resource: 'prima-resource' } });
  return { codec, parses: () => parses };
}
const input = (body: Buffer | string, path = '/'): CodecInput => ({ path, body: Buffer.isBuffer(body) ? body : Buffer.from(body) });

describe('the XML codec family (docs/architecture.md, "Codecs")', () => {
  it('parses each body once, whichever member asks, accepts included', () => {
    for (const body of [xacmlBody, primaBody]) {
      const { codec, parses } = family();
      const request = input(body);
      expect(codec.accepts(request)).toBe(true);
      for (const member of codec.members) member.accepts(request);
      const decoded = codec.decode(request);
      expect(decoded.ok).toBe(true);
      expect(parses()).toBe(1);
    }
  });

  it('keeps no parsed tree once a body is decoded: nothing of the DOM lives on while the decision runs', () => {
    // The transport holds the request until its answer is written, across the decision's database round trip; a DOM
    // kept that long is promoted out of the young generation (BENCHMARKS.md, "Issue 18: the regression").
    const holdsDomNode = (value: unknown, seen = new Set<unknown>()): boolean => {
      if (typeof value !== 'object' || value === null || seen.has(value)) return false;
      seen.add(value);
      if ('nodeType' in value || 'ownerDocument' in value) return true;
      return Object.values(value).some((v) => holdsDomNode(v, seen));
    };
    for (const body of [xacmlBody, primaBody, Buffer.from('<not-closed')]) {
      const { codec, parses } = family();
      const request = input(body);
      const decoded = codec.decode(request);
      expect(holdsDomNode(decoded)).toBe(false);
      // The shared parse step let go of the tree: asking again parses again.
      for (const member of codec.members) member.accepts(request);
      expect(parses()).toBe(2);
    }
  });

  it('tells PRIMA and SAML2-XACML2 apart by content, on any path', () => {
    for (const path of ['/', '/authz', '/gums/services/GUMSAuthorizationServicePort', '/gums/services/GUMSXACMLAuthorizationServicePort']) {
      const { codec } = family();
      const [prima, saml] = codec.members;
      const p = input(primaBody, path);
      const x = input(xacmlBody, path);
      expect([prima?.accepts(p), saml?.accepts(p)]).toEqual([true, false]);
      expect([prima?.accepts(x), saml?.accepts(x)]).toEqual([false, true]);
      const fromPrima = codec.decode(p);
      const fromXacml = codec.decode(x);
      expect(fromPrima.ok && fromPrima.value.query.dialect).toBe('prima');
      expect(fromXacml.ok && fromXacml.value.query.dialect).toBe('grid-wn');
    }
  });

  it('PRIMA: decided under the configured resource, accountExpected; answers in SAML 1.1 to the caller', () => {
    const { codec } = family();
    const decoded = codec.decode(input(primaBody));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.query.resource).toBe('prima-resource');
    expect(decoded.value.query.accountExpected).toBe(true);
    expect(decoded.value.answerWithoutDecision).toBeUndefined();
    const answer = codec.encode(decoded.value, permit, context);
    expect(answer.httpStatus).toBe(200);
    expect(String(answer.body)).toContain('Recipient="/DC=org/CN=gk01.example.org"');
    expect(String(answer.body)).toContain('>jane<');
  });

  it('PRIMA: a Permit with the account obligation answers the user name; one with no obligation (so no account) answers none', () => {
    const { codec } = family();
    const decoded = codec.decode(input(primaBody));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const mapped = String(codec.encode(decoded.value, permit, context).body);
    expect(mapped).toContain('Decision="Permit"');
    expect(mapped).toContain('opensciencegrid:authorization:UserIdObligation');
    expect(mapped).toContain('>jane<');
    // A client cannot use a Permit without a user name: Indeterminate, no obligated statement (prima-saml1.md §5.3).
    const unmapped = String(codec.encode(decoded.value, { decisionId: 'd2', decision: 'Permit', status: 'ok', reasons: [], obligations: [] }, context).body);
    expect(unmapped).toContain('Decision="Indeterminate"');
    expect(unmapped).not.toContain('UserIdObligation');
  });

  it('PRIMA: a request the client made unanswerable is answered RequestDenied without a decision (prima-saml1.md §5.4)', () => {
    const { codec } = family();
    // V6: no RespondWith at all; GUMS answered RequestDenied.
    const decoded = codec.decode(input(V6));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.answerWithoutDecision).toBeDefined();
    const answer = codec.encode(decoded.value, decoded.value.answerWithoutDecision as AuthzResult, context);
    expect(String(answer.body)).toContain('samlp:RequestDenied');
  });

  it('PRIMA: a query whose answer could not carry a Permit is decided as a defect (no lease, recorded Indeterminate)', () => {
    const { codec } = family();
    // V5: only the standard RespondWith, so a Permit could not carry the user name (§5.3 c).
    const standardOnly = codec.decode(input(V5));
    expect(standardOnly.ok && standardOnly.value.query.defects.map((d) => d.attribute)).toContain('RespondWith/Action');
    const asksOther = primaBody.toString('utf8').replace('access_as_local_identity', 'read_files');
    const decoded = codec.decode(input(asksOther));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.query.defects.map((d) => d.attribute)).toContain('RespondWith/Action');
  });

  it('malformed XML is SAML2-XACML2\'s SOAP Client fault; a broken PRIMA request is PRIMA\'s fault', () => {
    const { codec } = family();
    const broken = codec.decode(input('<s:Envelope'));
    if (broken.ok) throw new Error('decoded garbage');
    const answer = codec.encodeError(broken.error, context);
    expect(answer.httpStatus).toBe(500);
    expect(String(answer.body)).toContain('soap11:Client');
    const noId = primaBody.toString('utf8').replace(/RequestID="[^"]*"/, '');
    const primaError = codec.decode(input(noId));
    if (primaError.ok) throw new Error('decoded a request without RequestID');
    expect(primaError.error.protocol).toBe('prima');
    expect(codec.encodeError(primaError.error, context).httpStatus).toBe(500);
  });

  it('answers a transport refusal with a SOAP Server fault clients fail over on', () => {
    const { codec } = family();
    const refusal = codec.encodeRefusal?.({ httpStatus: 503, message: 'busy' }, context);
    expect(refusal?.httpStatus).toBe(503);
    expect(String(refusal?.body)).toContain('soap11:Server');
  });
});
