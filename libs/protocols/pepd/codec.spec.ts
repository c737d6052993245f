import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dn, ErrorCodes } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { PepdCodec } from './codec';
import { encodePepdRequest } from './encode';
import { readJavaResponse } from './test-support/java-model-reader';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'latin1');
const KEYINFO = fixture('request-keyinfo-bob-voms.b64');
const SUBJECTID = fixture('request-subjectid-fqans.b64');
const codec = new PepdCodec();
const input = (body: string | Buffer, path = '/authz') => ({ path, contentType: 'application/x-www-form-urlencoded', body: Buffer.from(body) });
const ctx = { now: new Date('2026-12-07T12:00:00Z'), newId: () => 'id-1' };

// Expectations from fixtures/README.md (docs/pepd.md): the pepcli options of each capture, not our decoder.
const WN = 'http://authz-interop.org/xacml/resource/resource-type/wn';
const CE = 'http://authz-interop.org/xacml/resource/resource-type/ce';
const EXECUTE = 'http://glite.org/xacml/action/execute';
const GRID_WN = 'http://glite.org/xacml/profile/grid-wn/1.0';
const POSIX = 'http://glite.org/xacml/obligation/local-environment-map/posix';

function decoded(body: string) {
  const r = codec.decode(input(body));
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.detail}`);
  return r.value;
}

describe('PEPd codec: the captured pepcli requests as protocol-neutral queries', () => {
  it('accepts POST /authz only (the path PEP clients use)', () => {
    expect(codec.accepts(input(KEYINFO))).toBe(true);
    expect(codec.accepts(input(KEYINFO, '/authz?x=1'))).toBe(true);
    expect(codec.accepts(input(KEYINFO, '/'))).toBe(false);
    expect(codec.accepts(input(KEYINFO, '/authz/x'))).toBe(false);
  });

  it('key-info request: Bob’s proxy chain for the pipeline to validate, leaf first; nothing asserted', () => {
    const { query } = decoded(KEYINFO);
    expect(query.dialect).toBe('pepd');
    expect(query.profileId).toBe(GRID_WN);
    expect(query.accountExpected).toBe(true);
    expect(query.resource).toBe(WN);
    expect(query.action).toBe(EXECUTE);
    expect(query.defects).toEqual([]);
    expect(query.subject.assertedDn).toBeUndefined();
    expect(query.subject.assertedFqans).toBeUndefined();
    const chain = query.subject.chain!.map((der) => new X509Certificate(der));
    expect(chain.map((c) => c.subject.split('\n'))).toEqual([
      ['DC=org', 'DC=example', 'OU=People', 'CN=Bob Atlas', 'CN=2913271984'],
      ['DC=org', 'DC=example', 'OU=People', 'CN=Bob Atlas'],
    ]);
    expect(query.environment).toEqual({ 'http://glite.org/xacml/attribute/profile-id': [GRID_WN] });
  });

  it('subject-id request: Alice’s DN and FQANs as assertions, the primary first', () => {
    const { query } = decoded(SUBJECTID);
    expect(query.subject.chain).toBeUndefined();
    expect(query.subject.assertedDn!.equals(Dn.fromSlash('/DC=org/DC=example/OU=People/CN=Alice Atlas'))).toBe(true);
    expect(query.subject.assertedFqans!.map((f) => f.toLong())).toEqual(['/atlas/Role=pilot/Capability=NULL', '/atlas/Role=NULL/Capability=NULL']);
    expect(query.subject.assertedPrimaryFqan!.toLong()).toBe('/atlas/Role=pilot/Capability=NULL');
    expect(query.subject.attributes!['urn:oasis:names:tc:xacml:1.0:subject:subject-id']).toEqual(['CN=Alice Atlas,OU=People,DC=example,DC=org']);
    expect(query.resource).toBe(CE);
    expect(query.action).toBe(EXECUTE);
    expect(query.profileId).toBe(GRID_WN);
    expect(query.accountExpected).toBe(true);
  });

  it('a request without a profile-id is grid-wn; an unknown profile expects no account', () => {
    const base = {
      subjects: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', values: ['CN=A,DC=org'] }] }],
      resources: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', values: [WN] }] }],
      action: { attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:action:action-id', values: [EXECUTE] }] },
    };
    const none = decoded(encodePepdRequest(base)).query;
    expect([none.profileId, none.accountExpected]).toEqual([GRID_WN, true]);
    const other = decoded(encodePepdRequest({ ...base, environment: { attributes: [{ id: 'http://glite.org/xacml/attribute/profile-id', values: ['urn:example:other'] }] } })).query;
    expect([other.profileId, other.accountExpected]).toEqual(['urn:example:other', false]);
  });

  it('a key-info that is not certificates is a defect (decided Indeterminate and recorded), not a refusal', () => {
    const body = encodePepdRequest({
      subjects: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:subject:key-info', values: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'] }] }],
      resources: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', values: [WN] }] }],
      action: { attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:action:action-id', values: [EXECUTE] }] },
    });
    const { query } = decoded(body);
    expect(query.subject.chain).toBeUndefined();
    expect(query.defects.map((d) => [d.kind, d.attribute])).toEqual([['syntax-error', 'urn:oasis:names:tc:xacml:1.0:subject:key-info']]);
  });
});

describe('PEPd codec: answers as the Java model reads them (test-support/java-model-reader, written from the Java sources)', () => {
  const account = { username: 'atlas001', uid: 10001, gid: 2000, groupName: 'atlas', secondaryGids: [2000, 2001], secondaryGroupNames: ['atlas', 'atlasprd'] };
  const permit: AuthzResult = { decisionId: 'd1', decision: 'Permit', status: 'ok', account, obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }], reasons: [] };

  it('Permit: decision 1, status ok, the posix obligation with user-id, group-id/primary and every group-id', () => {
    const message = decoded(KEYINFO);
    const read = readJavaResponse(codec.encode(message, permit, ctx).body as string);
    expect(read.results).toEqual([
      {
        decision: 1,
        resourceId: WN,
        status: { message: null, statusCode: { code: 'urn:oasis:names:tc:xacml:1.0:status:ok', subCode: null } },
        obligations: [
          {
            id: POSIX,
            fulfillOn: 1,
            attributeAssignments: [
              { attributeId: 'http://glite.org/xacml/attribute/user-id', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlas001' },
              { attributeId: 'http://glite.org/xacml/attribute/group-id/primary', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlas' },
              { attributeId: 'http://glite.org/xacml/attribute/group-id', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlas' },
              { attributeId: 'http://glite.org/xacml/attribute/group-id', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlasprd' },
            ],
          },
        ],
      },
    ]);
    // PEPd echoes the request it decided on.
    expect(read.request!.resources[0]!.attributes[0]!.values).toEqual([WN]);
  });

  it('the policy’s mapping obligation becomes the posix one; other obligations pass as stated', () => {
    const result: AuthzResult = {
      ...permit,
      obligations: [
        { id: 'urn:example:banner', fulfillOn: 'Permit', assignments: [{ id: 'urn:example:text', value: 'hello' }] },
        { id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] },
        { id: 'urn:example:on-deny', fulfillOn: 'Deny', assignments: [] },
      ],
    };
    const read = readJavaResponse(codec.encode(decoded(KEYINFO), result, ctx).body as string);
    expect(read.results[0]!.obligations.map((o) => o.id)).toEqual(['urn:example:banner', POSIX]);
  });

  it('Deny, NotApplicable and Indeterminate carry their XACML status code and no account', () => {
    const message = decoded(SUBJECTID);
    const cases: [AuthzResult['decision'], AuthzResult['status'], number][] = [
      ['Deny', 'ok', 0],
      ['NotApplicable', 'ok', 3],
      ['Indeterminate', 'processing-error', 2],
      ['Indeterminate', 'missing-attribute', 2],
    ];
    for (const [decision, status, code] of cases) {
      const read = readJavaResponse(codec.encode(message, { decisionId: 'd', decision, status, statusMessage: 'why', obligations: [], reasons: [] }, ctx).body as string);
      expect(read.results[0]).toMatchObject({ decision: code, status: { message: 'why', statusCode: { code: `urn:oasis:names:tc:xacml:1.0:status:${status}` } }, obligations: [] });
    }
  });
});

describe('PEPd codec: refusals as PEPd gives them', () => {
  const codeOf = (body: string | Buffer): string => {
    const r = codec.decode(input(body));
    return r.ok ? 'ok' : r.error.code;
  };

  it('garbage, truncated and oversized bodies are refused with a typed code and HTTP 500', () => {
    expect(codeOf('not base64 at all!')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    const raw = Buffer.from(KEYINFO.replace(/\r\n/g, ''), 'base64');
    expect(codeOf(raw.subarray(0, raw.length - 9).toString('base64'))).toBe(ErrorCodes.PROTO_HESSIAN_TRUNCATED);
    expect(codeOf('A'.repeat(4 * 1024 * 1024))).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
    const r = codec.decode(input('@@@'));
    if (r.ok) throw new Error('decoded garbage');
    const answer = codec.encodeError(r.error);
    expect(answer.httpStatus).toBe(500);
    expect(String(answer.body)).toContain('PROTO_PEPD_ENCODING');
  });

  it('a Request the validating PIP would refuse (no resource, two subjects) is an Indeterminate Response', () => {
    const body = encodePepdRequest({ subjects: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', values: ['CN=A,DC=org'] }] }], resources: [] });
    const r = codec.decode(input(body));
    if (r.ok) throw new Error('decoded a request without a resource');
    expect(r.error.code).toBe(ErrorCodes.PROTO_PEPD_MISSING);
    const answer = codec.encodeError(r.error);
    expect(answer.httpStatus).toBe(200);
    const read = readJavaResponse(answer.body as string);
    expect(read.results[0]).toMatchObject({ decision: 2, status: { statusCode: { code: 'urn:oasis:names:tc:xacml:1.0:status:processing-error' } }, obligations: [] });
  });
});
