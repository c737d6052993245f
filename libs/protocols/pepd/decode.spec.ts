import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { encodeHessian } from '../hessian/encode';
import { hList, hObject, hString } from '../hessian/value';
import type { HessianValue } from '../hessian/value';
import { decodePepdBase64, decodePepdRequest, pepdDecisionInput } from './decode';
import { encodePepdRequest, pepdBase64 } from './encode';
import type { PepAttribute, PepRequest } from './model';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'latin1');
const KEYINFO = fixture('request-keyinfo-bob-voms.b64');
const SUBJECTID = fixture('request-subjectid-fqans.b64');

// Expected values come from fixtures/README.md (the pepcli options of each capture), not from our decoder.
const PROFILE = {
  attributes: [
    {
      id: 'http://glite.org/xacml/attribute/profile-id',
      dataType: 'http://www.w3.org/2001/XMLSchema#anyURI',
      values: ['http://glite.org/xacml/profile/grid-wn/1.0'],
    },
  ],
};
const EXECUTE = { attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:action:action-id', values: ['http://glite.org/xacml/action/execute'] }] };
const resource = (type: string) => [
  { attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', values: [`http://authz-interop.org/xacml/resource/resource-type/${type}`] }] },
];

/** The PEM text as it sits in the raw message, found by a byte search independent of our decoder. */
function rawPem(b64: string): string {
  const raw = Buffer.from(b64.replace(/\r\n/g, ''), 'base64').toString('latin1');
  const begin = raw.indexOf('-----BEGIN CERTIFICATE-----');
  const endMark = '-----END CERTIFICATE-----';
  let end = raw.lastIndexOf(endMark) + endMark.length;
  while (raw[end] === '\n' || raw[end] === '\r') end++;
  return raw.slice(begin, end);
}

describe('the captured pepcli requests', () => {
  it('decodes the subject-id + FQANs request to exactly what pepcli was asked to send', () => {
    const r = decodePepdRequest(SUBJECTID);
    expect(r.ok && r.value).toEqual({
      subjects: [
        {
          attributes: [
            {
              id: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id',
              dataType: 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name',
              values: ['CN=Alice Atlas,OU=People,DC=example,DC=org'],
            },
            { id: 'http://glite.org/xacml/attribute/fqan/primary', dataType: 'http://glite.org/xacml/datatype/fqan', values: ['/atlas/Role=pilot'] },
            { id: 'http://glite.org/xacml/attribute/fqan', dataType: 'http://glite.org/xacml/datatype/fqan', values: ['/atlas/Role=pilot', '/atlas'] },
          ],
        },
      ],
      resources: resource('ce'),
      action: EXECUTE,
      environment: PROFILE,
    });
    const input = r.ok ? pepdDecisionInput(r.value) : r;
    if (!input.ok) throw new Error(input.error.detail);
    const { subjectDn, fqans, primaryFqan, ...rest } = input.value;
    expect(rest).toEqual({
      subjectId: 'CN=Alice Atlas,OU=People,DC=example,DC=org',
      resourceId: 'http://authz-interop.org/xacml/resource/resource-type/ce',
      actionId: 'http://glite.org/xacml/action/execute',
      profileId: 'http://glite.org/xacml/profile/grid-wn/1.0',
    });
    expect(subjectDn!.equals(Dn.fromSlash('/DC=org/DC=example/OU=People/CN=Alice Atlas'))).toBe(true);
    expect(fqans.map((f) => f.toLong())).toEqual(['/atlas/Role=pilot/Capability=NULL', '/atlas/Role=NULL/Capability=NULL']);
    expect(primaryFqan!.equals(Fqan.parse('/atlas/Role=pilot'))).toBe(true);
  });

  it('decodes the key-info request: Bob’s proxy chain, leaf first, issued under the test CA', () => {
    const r = decodePepdRequest(KEYINFO);
    if (!r.ok) throw new Error(r.error.detail);
    const pem = rawPem(KEYINFO);
    expect(r.value).toEqual({
      subjects: [{ attributes: [{ id: 'urn:oasis:names:tc:xacml:1.0:subject:key-info', dataType: 'http://www.w3.org/2001/XMLSchema#string', values: [pem] }] }],
      resources: resource('wn'),
      action: EXECUTE,
      environment: PROFILE,
    });
    const input = pepdDecisionInput(r.value);
    expect(input).toEqual({
      ok: true,
      value: {
        keyInfoPem: pem,
        fqans: [],
        resourceId: 'http://authz-interop.org/xacml/resource/resource-type/wn',
        actionId: 'http://glite.org/xacml/action/execute',
        profileId: 'http://glite.org/xacml/profile/grid-wn/1.0',
      },
    });
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!.map((p) => new X509Certificate(p));
    expect(certs).toHaveLength(2);
    expect(certs[0]!.subject.split('\n')).toEqual(['DC=org', 'DC=example', 'OU=People', 'CN=Bob Atlas', 'CN=2913271984']);
    expect(certs[1]!.subject.split('\n')).toEqual(['DC=org', 'DC=example', 'OU=People', 'CN=Bob Atlas']);
    expect(certs[0]!.checkIssued(certs[1]!)).toBe(true);
    expect(certs[1]!.checkIssued(new X509Certificate(fixture('test-ca.pem')))).toBe(true);
    expect(new Date(certs[0]!.validTo).toISOString()).toBe('2026-12-07T22:55:37.000Z');
  });

  it('re-encodes both requests to the C client’s own bytes (same layout, same base64 lines)', () => {
    for (const body of [KEYINFO, SUBJECTID]) {
      const r = decodePepdRequest(body);
      expect(r.ok && encodePepdRequest(r.value)).toBe(body);
    }
  });

  it('accepts the body as bytes and with LF line breaks', () => {
    expect(decodePepdRequest(Buffer.from(SUBJECTID, 'latin1')).ok).toBe(true);
    expect(decodePepdRequest(SUBJECTID.replace(/\r\n/g, '\n')).ok).toBe(true);
    expect(decodePepdRequest(SUBJECTID.replace(/\r\n/g, '')).ok).toBe(true);
  });
});

describe('the base64 body', () => {
  const codeOf = (body: string): string => {
    const r = decodePepdBase64(body);
    return r.ok ? 'ok' : r.error.code;
  };
  it('refuses what is not canonical base64 text', () => {
    expect(codeOf('')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    expect(codeOf('TQ== ')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    expect(codeOf('TQ%3D%3D')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    expect(codeOf('TQ=')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    expect(codeOf('T=Q=')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    expect(codeOf('TR==')).toBe(ErrorCodes.PROTO_PEPD_ENCODING); // non-zero trailing bits
    expect(codeOf('TQ\r=\n=')).toBe(ErrorCodes.PROTO_PEPD_ENCODING);
    expect(codeOf('TQ==')).toBe('ok');
  });
  it('refuses an oversized body before decoding it', () => {
    const r = decodePepdBase64('A'.repeat(101), 50);
    expect(!r.ok && r.error.code).toBe(ErrorCodes.PROTO_HESSIAN_LIMIT);
  });
  it('passes Hessian errors through', () => {
    const r = decodePepdRequest(pepdBase64(Buffer.from('Mt', 'latin1')));
    expect(!r.ok && r.error.code).toBe(ErrorCodes.PROTO_HESSIAN_TRUNCATED);
  });
});

const attr = (id: string, ...values: string[]): PepAttribute => ({ id, values });
const SUBJECT_ID = 'urn:oasis:names:tc:xacml:1.0:subject:subject-id';
const KEY_INFO = 'urn:oasis:names:tc:xacml:1.0:subject:key-info';
const FQAN = 'http://glite.org/xacml/attribute/fqan';
const PRIMARY = 'http://glite.org/xacml/attribute/fqan/primary';
const RID = 'urn:oasis:names:tc:xacml:1.0:resource:resource-id';
const AID = 'urn:oasis:names:tc:xacml:1.0:action:action-id';
const base: PepRequest = {
  subjects: [{ attributes: [attr(SUBJECT_ID, 'CN=A,DC=org')] }],
  resources: [{ attributes: [attr(RID, 'r')] }],
  action: { attributes: [attr(AID, 'a')] },
};

/** Through the wire, so the request decoder is on the path as well. */
function inputCode(req: PepRequest): string {
  const r = decodePepdRequest(encodePepdRequest(req));
  if (!r.ok) return r.error.code;
  const i = pepdDecisionInput(r.value);
  return i.ok ? 'ok' : i.error.code;
}

describe('what the decision needs: ambiguity refused', () => {
  it('accepts the minimal request', () => {
    expect(inputCode(base)).toBe('ok');
  });

  it('refuses two subjects, two resources, two key-infos, two resource-ids, a multi-valued subject-id', () => {
    expect(inputCode({ ...base, subjects: [...base.subjects, ...base.subjects] })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode({ ...base, resources: [...base.resources, ...base.resources] })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(KEY_INFO, 'x'), attr(KEY_INFO, 'y')] }] })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(KEY_INFO, 'x', 'y')] }] })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode({ ...base, resources: [{ attributes: [attr(RID, 'r'), attr(RID, 's')] }] })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(SUBJECT_ID, 'CN=A', 'CN=B')] }] })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode({ ...base, action: { attributes: [attr(AID, 'a'), attr(AID, 'b')] } })).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
  });

  it('refuses FQAN contradictions and accepts a lone primary FQAN as the FQAN list', () => {
    const s = (...attributes: PepAttribute[]): PepRequest => ({ ...base, subjects: [{ attributes: [attr(SUBJECT_ID, 'CN=A'), ...attributes] }] });
    expect(inputCode(s(attr(PRIMARY, '/atlas'), attr(FQAN, '/cms')))).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode(s(attr(FQAN, '/atlas', '/atlas')))).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode(s(attr(FQAN, '/atlas'), attr(FQAN, '/cms')))).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode(s(attr(PRIMARY, '/atlas', '/cms')))).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    const lone = decodePepdRequest(encodePepdRequest(s(attr(PRIMARY, '/atlas'))));
    const input = lone.ok ? pepdDecisionInput(lone.value) : lone;
    expect(input.ok && input.value.fqans.map(String)).toEqual(['/atlas/Role=NULL/Capability=NULL']);
    // FQANs compare as FQANs: a NULL role is no role
    expect(inputCode(s(attr(FQAN, '/atlas', '/atlas/Role=NULL')))).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(inputCode(s(attr(PRIMARY, '/atlas/Role=NULL/Capability=NULL'), attr(FQAN, '/atlas', '/cms')))).toBe('ok');
    expect(inputCode(s(attr(FQAN, 'atlas')))).toBe(ErrorCodes.PROTO_PEPD_MODEL);
  });

  it('refuses what is missing: subject identity, resource-id, action', () => {
    expect(inputCode({ ...base, subjects: [] })).toBe(ErrorCodes.PROTO_PEPD_MISSING);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(FQAN, '/atlas')] }] })).toBe(ErrorCodes.PROTO_PEPD_MISSING);
    expect(inputCode({ ...base, resources: [{ attributes: [] }] })).toBe(ErrorCodes.PROTO_PEPD_MISSING);
    expect(inputCode({ subjects: base.subjects, resources: base.resources })).toBe(ErrorCodes.PROTO_PEPD_MISSING);
  });

  it('refuses a subject-id that is not an RFC 2253 DN', () => {
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(SUBJECT_ID, '/DC=org/CN=A')] }] })).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(SUBJECT_ID, 'CN=A,,DC=org')] }] })).toBe(ErrorCodes.PROTO_PEPD_MODEL);
  });

  it('refuses empty values, control characters and a non-access subject category', () => {
    expect(inputCode({ ...base, resources: [{ attributes: [attr(RID, ' ')] }] })).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(SUBJECT_ID, 'CN=A\u0000,DC=org')] }] })).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(SUBJECT_ID, 'CN=A\n')] }] })).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(KEY_INFO, 'PEM\u0007')] }] })).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(inputCode({ ...base, subjects: [{ attributes: [attr(KEY_INFO, '-----BEGIN\r\nx\n')] }] })).toBe('ok');
    expect(inputCode({ ...base, subjects: [{ category: 'urn:oasis:names:tc:xacml:1.0:subject-category:codebase', attributes: base.subjects[0]!.attributes }] })).toBe(
      ErrorCodes.PROTO_PEPD_MODEL,
    );
  });
});

describe('the request model is read strictly', () => {
  const M = 'org.glite.authz.common.model.';
  const wire = (v: HessianValue): string => pepdBase64(encodeHessian(v));
  const codeOf = (v: HessianValue): string => {
    const r = decodePepdRequest(wire(v));
    return r.ok ? 'ok' : r.error.code;
  };
  const attribute = hObject(`${M}Attribute`, [
    ['id', hString(RID)],
    ['values', hList([hString('r')])],
  ]);

  it('reads the Java serializer’s layout too: typed lists, every field with nulls as N, a shared object as a reference', () => {
    // Written from docs/pepd.md §2.2: what the Java PEP API's Hessian writer produces for the same model.
    const lazyList = (items: HessianValue[]): HessianValue => hList(items, 'org.glite.authz.common.model.util.LazyList');
    const rid = hObject(`${M}Attribute`, [
      ['id', hString(RID)],
      ['dataType', { kind: 'null' }],
      ['issuer', { kind: 'null' }],
      ['values', hList([hString('r')], 'org.glite.authz.common.model.util.LazySet')],
    ]);
    const head = encodeHessian(
      hObject(`${M}Request`, [
        ['subjects', lazyList([hObject(`${M}Subject`, [['category', { kind: 'null' }], ['attributes', lazyList([hObject(`${M}Attribute`, [['id', hString(SUBJECT_ID)], ['dataType', { kind: 'null' }], ['issuer', hString('CN=issuer')], ['values', hList([hString('CN=A')])]])])]])])],
        ['resources', lazyList([hObject(`${M}Resource`, [['resourceContent', { kind: 'null' }], ['attributes', lazyList([rid])]])])],
        ['action', { kind: 'null' }],
        ['environment', { kind: 'null' }],
      ]),
    );
    const r = decodePepdRequest(pepdBase64(head));
    expect(r.ok && r.value.subjects[0]!.attributes[0]).toEqual({ id: SUBJECT_ID, issuer: 'CN=issuer', values: ['CN=A'] });
    expect(r.ok && r.value.action).toBeUndefined();
    // The same Attribute object used by two resources: Java writes the second as 'R' to the first's map number.
    // Maps and lists in start order: 0 Request, 1 subjects, 2 Subject, 3 attributes, 4 Attribute, 5 values, 6 resources,
    // 7 Resource, 8 attributes, 9 Attribute (resource-id), 10 values.
    const withRef = encodeHessian(
      hObject(`${M}Request`, [
        ['subjects', lazyList([hObject(`${M}Subject`, [['attributes', lazyList([hObject(`${M}Attribute`, [['id', hString(SUBJECT_ID)], ['values', hList([hString('CN=A')])]])])]])])],
        ['resources', lazyList([hObject(`${M}Resource`, [['attributes', lazyList([rid])]]), hObject(`${M}Resource`, [['attributes', lazyList([hString('@REF@')])]])])],
      ]),
    );
    const marker = Buffer.from('S\u0000\u0005@REF@', 'latin1');
    const at = withRef.indexOf(marker);
    expect(at).toBeGreaterThan(0);
    const patched = Buffer.concat([withRef.subarray(0, at), Buffer.from([0x52, 0, 0, 0, 9]), withRef.subarray(at + marker.length)]);
    const shared = decodePepdRequest(pepdBase64(patched));
    expect(shared.ok && shared.value.resources.map((x) => x.attributes[0]!.values)).toEqual([['r'], ['r']]);
    // two resources, so the decision refuses it as ambiguous
    expect(shared.ok && pepdDecisionInput(shared.value).ok).toBe(false);
  });

  it('refuses a wrong class, an unknown or repeated field, and a non-string value', () => {
    expect(codeOf(hObject('java.lang.Runtime', []))).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(codeOf(hObject(undefined, [['subjects', hList([])]]))).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(codeOf(hObject(`${M}Request`, [['subjectz', hList([])]]))).toBe(ErrorCodes.PROTO_PEPD_MODEL);
    expect(codeOf(hObject(`${M}Request`, [['subjects', hList([])], ['subjects', hList([])]]))).toBe(ErrorCodes.PROTO_PEPD_AMBIGUOUS);
    expect(codeOf(hObject(`${M}Request`, [['resources', hList([hObject(`${M}Resource`, [['attributes', hList([hObject(`${M}Subject`, [])])]])])]]))).toBe(
      ErrorCodes.PROTO_PEPD_MODEL,
    );
    const intValue = hObject(`${M}Attribute`, [
      ['id', hString(RID)],
      ['values', hList([{ kind: 'int', value: 1 }])],
    ]);
    expect(codeOf(hObject(`${M}Request`, [['resources', hList([hObject(`${M}Resource`, [['attributes', hList([intValue])]])])]]))).toBe(
      ErrorCodes.PROTO_PEPD_MODEL,
    );
    expect(codeOf(hObject(`${M}Request`, [['resources', hList([hObject(`${M}Resource`, [['attributes', hList([attribute])]])])]]))).toBe('ok');
  });
});
