import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePepdRequest } from './decode';
import { encodePepdResponse } from './encode';
import { PepIds, posixAccountObligation } from './model';
import type { PepResponse } from './model';
import { readJavaResponse } from './test-support/java-model-reader';

const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'latin1');

describe('encodePepdResponse, read the way the Java model and the C client read it', () => {
  it('answers the captured subject-id request with Permit and the posix account obligation', () => {
    const req = decodePepdRequest(fixture('request-subjectid-fqans.b64'));
    if (!req.ok) throw new Error(req.error.detail);
    const body = encodePepdResponse({
      request: req.value,
      results: [
        {
          decision: 'Permit',
          resourceId: 'http://authz-interop.org/xacml/resource/resource-type/ce',
          status: { statusCode: { code: PepIds.statusOk } },
          obligations: [posixAccountObligation({ userId: 'atlaspil001', primaryGroup: 'atlaspil', groups: ['atlas'] })],
        },
      ],
    });
    const java = readJavaResponse(body);
    expect(java.hasRequest).toBe(true);
    expect(java.requestFields).toEqual(['subjects', 'resources', 'action', 'environment']);
    expect(java.request!.subjects).toEqual([
      {
        category: null,
        attributes: [
          { id: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', dataType: 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name', issuer: null, values: ['CN=Alice Atlas,OU=People,DC=example,DC=org'] },
          { id: 'http://glite.org/xacml/attribute/fqan/primary', dataType: 'http://glite.org/xacml/datatype/fqan', issuer: null, values: ['/atlas/Role=pilot'] },
          { id: 'http://glite.org/xacml/attribute/fqan', dataType: 'http://glite.org/xacml/datatype/fqan', issuer: null, values: ['/atlas/Role=pilot', '/atlas'] },
        ],
      },
    ]);
    expect(java.results).toEqual([
      {
        decision: 1, // Result.DECISION_PERMIT
        resourceId: 'http://authz-interop.org/xacml/resource/resource-type/ce',
        status: { message: null, statusCode: { code: 'urn:oasis:names:tc:xacml:1.0:status:ok', subCode: null } },
        obligations: [
          {
            id: 'http://glite.org/xacml/obligation/local-environment-map/posix',
            fulfillOn: 1,
            attributeAssignments: [
              { attributeId: 'http://glite.org/xacml/attribute/user-id', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlaspil001' },
              { attributeId: 'http://glite.org/xacml/attribute/group-id/primary', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlaspil' },
              { attributeId: 'http://glite.org/xacml/attribute/group-id', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlaspil' },
              { attributeId: 'http://glite.org/xacml/attribute/group-id', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlas' },
            ],
          },
        ],
      },
    ]);
  });

  it('answers the captured key-info request, echoing the request field for field', () => {
    const body = readFileSync(join(__dirname, 'fixtures', 'request-keyinfo-bob-voms.b64'), 'latin1');
    const req = decodePepdRequest(body);
    if (!req.ok) throw new Error(req.error.detail);
    const java = readJavaResponse(
      encodePepdResponse({
        request: req.value,
        results: [{ decision: 'Permit', obligations: [posixAccountObligation({ userId: 'atlas007', primaryGroup: 'atlas', groups: [] })] }],
      }),
    );
    // Expected from fixtures/README.md (pepcli -k ... -r .../wn -a .../execute, default grid-wn profile).
    const keyInfo = java.request!.subjects[0]!.attributes[0]!;
    expect(keyInfo.id).toBe('urn:oasis:names:tc:xacml:1.0:subject:key-info');
    expect(keyInfo.values).toHaveLength(1);
    expect(keyInfo.values[0]!.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    expect(java.request!.resources).toEqual([
      {
        resourceContent: null,
        attributes: [
          { id: 'urn:oasis:names:tc:xacml:1.0:resource:resource-id', dataType: null, issuer: null, values: ['http://authz-interop.org/xacml/resource/resource-type/wn'] },
        ],
      },
    ]);
    expect(java.request!.action).toEqual([
      { id: 'urn:oasis:names:tc:xacml:1.0:action:action-id', dataType: null, issuer: null, values: ['http://glite.org/xacml/action/execute'] },
    ]);
    expect(java.request!.environment).toEqual([
      {
        id: 'http://glite.org/xacml/attribute/profile-id',
        dataType: 'http://www.w3.org/2001/XMLSchema#anyURI',
        issuer: null,
        values: ['http://glite.org/xacml/profile/grid-wn/1.0'],
      },
    ]);
    expect(java.results[0]!.decision).toBe(1);
    expect(java.results[0]!.obligations[0]!.attributeAssignments.map((a) => a.value)).toEqual(['atlas007', 'atlas', 'atlas']);
  });

  it('numbers the four decisions as Result.DECISION_* and nests status sub-codes', () => {
    const decisions: PepResponse['results'][number]['decision'][] = ['Deny', 'Permit', 'Indeterminate', 'NotApplicable'];
    const java = readJavaResponse(
      encodePepdResponse({
        results: decisions.map((decision) => ({
          decision,
          status: { message: 'why', statusCode: { code: PepIds.statusProcessingError, subCode: { code: PepIds.statusMissingAttribute } } },
          obligations: [],
        })),
      }),
    );
    expect(java.hasRequest).toBe(false);
    expect(java.results.map((r) => r.decision)).toEqual([0, 1, 2, 3]);
    expect(java.results[2]!.status).toEqual({
      message: 'why',
      statusCode: {
        code: 'urn:oasis:names:tc:xacml:1.0:status:processing-error',
        subCode: { code: 'urn:oasis:names:tc:xacml:1.0:status:missing-attribute', subCode: null },
      },
    });
  });

  it('writes a bare Deny as these hand-written bytes (Java field order, nulls as N)', () => {
    // Written from Response/Result field declarations: request, results; decision, resourceId, status, obligations.
    const s = (t: string): string => `S${String.fromCharCode(t.length >> 8, t.length & 0xff)}${t}`;
    const type = (t: string): string => `t${String.fromCharCode(t.length >> 8, t.length & 0xff)}${t}`;
    const expected =
      'M' +
      type('org.glite.authz.common.model.Response') +
      s('request') +
      'N' +
      s('results') +
      'Vl\u0000\u0000\u0000\u0001' +
      'M' +
      type('org.glite.authz.common.model.Result') +
      s('decision') +
      'I\u0000\u0000\u0000\u0000' +
      s('resourceId') +
      'N' +
      s('status') +
      'N' +
      s('obligations') +
      'Vz' +
      'z' +
      'z' +
      'z';
    const body = encodePepdResponse({ results: [{ decision: 'Deny', obligations: [] }] });
    expect(Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('latin1')).toBe(expected);
    expect(body.split('\r\n').slice(0, -1).every((line) => line.length <= 64)).toBe(true);
    expect(body.endsWith('\r\n')).toBe(true);
  });

  it('includes the primary group once in group-id when the groups list already has it', () => {
    const o = posixAccountObligation({ userId: 'u', primaryGroup: 'g', groups: ['g', 'h'] });
    expect(o.attributeAssignments.map((a) => `${a.attributeId.split('/').slice(-2).join('/')}=${a.value}`)).toEqual([
      'attribute/user-id=u',
      'group-id/primary=g',
      'attribute/group-id=g',
      'attribute/group-id=h',
    ]);
  });
});
