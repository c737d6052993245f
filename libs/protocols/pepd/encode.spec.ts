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
