import { describe, expect, it } from 'vitest';
import type { AuthzResult } from '@gridauthz/domain';
import { AuthzenCodec } from './codec';
import { parseStrictJson, stringifyJson } from './json';

const LIMITS = { maxBytes: 4096, maxDepth: 4, maxMembers: 8, maxStringLength: 64 };
const codec = new AuthzenCodec();
const input = (body: unknown, contentType = 'application/json') => ({ path: '/access/v1/evaluation', contentType, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
// A JWS-shaped string; the codec checks the shape only, the token validator everything else.
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';
const decodeError = (body: unknown, contentType?: string) => {
  const r = codec.decode(input(body, contentType));
  return r.ok ? undefined : r.error;
};
const evaluation = (subject: unknown, resource: unknown = { type: 'wn', id: 'wn1.example.org' }, action: unknown = { name: 'execute' }) => ({ subject, resource, action });

describe('strict JSON (AuthZEN 1.0 §11.5, §11.7)', () => {
  const parse = (text: string) => parseStrictJson(Buffer.from(text), LIMITS);

  it('reads what JSON.parse reads, with objects as Maps', () => {
    const text = '{"a": [1, -2.5e3, true, false, null, "x\\u0041\\n"], "__proto__": {"b": {}}}';
    expect(stringifyJson(parse(text))).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('refuses a member name twice, also when spelt with an escape (RFC 7493 §2.3)', () => {
    expect(() => parse('{"a": 1, "a": 2}')).toThrow(/appears twice/);
    expect(() => parse('{"a": 1, "\\u0061": 2}')).toThrow(/appears twice/);
  });

  it('refuses lone surrogates, a byte order mark, invalid UTF-8 and trailing text', () => {
    expect(() => parse('{"a": "\\ud800"}')).toThrow(/unpaired surrogate/);
    expect(parse('{"a": "\\ud83d\\ude00"}')).toEqual(new Map([['a', '😀']]));
    expect(() => parse('\ufeff{}')).toThrow(/byte order mark/);
    expect(() => parseStrictJson(Buffer.from([0x7b, 0xff, 0x7d]), LIMITS)).toThrow(/not UTF-8/);
    expect(() => parse('{} {}')).toThrow(/text after/);
    expect(() => parse('{"a": 01}')).toThrow(/malformed/);
    expect(() => parse("{'a': 1}")).toThrow(/member name/);
  });

  it('bounds depth, members, string length and size', () => {
    expect(() => parse('[[[[[1]]]]]')).toThrow(/deeper than 4/);
    expect(() => parse(JSON.stringify(Array.from({ length: 9 }, () => 1)))).toThrow(/more than 8 elements/);
    expect(() => parse(JSON.stringify({ a: 'x'.repeat(65) }))).toThrow(/longer than 64/);
    expect(() => parse(' '.repeat(4097))).toThrow(/more than the 4096/);
  });
});

describe('AuthZEN codec', () => {
  it('accepts the evaluation path only (§10.1 default paths)', () => {
    expect(codec.accepts({ path: '/access/v1/evaluation', body: Buffer.alloc(0) })).toBe(true);
    expect(codec.accepts({ path: '/access/v1/evaluation?x=1', body: Buffer.alloc(0) })).toBe(true);
    expect(codec.accepts({ path: '/authz', body: Buffer.alloc(0) })).toBe(false);
  });

  it('reads a wlcg-token subject from properties.token or from id, never both differing', () => {
    const fromProperties = codec.decode(input(evaluation({ type: 'wlcg-token', id: 'alice', properties: { token: TOKEN } })));
    expect(fromProperties.ok && fromProperties.value.query.subject).toEqual({ token: TOKEN });
    const fromId = codec.decode(input(evaluation({ type: 'wlcg-token', id: TOKEN })));
    expect(fromId.ok && fromId.value.query.subject).toEqual({ token: TOKEN });
    expect(decodeError(evaluation({ type: 'wlcg-token', id: TOKEN, properties: { token: `${TOKEN}x` } }))?.code).toBe('PROTO_QUERY_AMBIGUOUS');
    expect(decodeError(evaluation({ type: 'wlcg-token', id: 'alice' }))?.detail).toMatch(/compact JWS/);
  });

  it('maps ce and wn resources to the policy resource ids with the host, and resource-id verbatim', () => {
    const ce = codec.decode(input(evaluation({ type: 'wlcg-token', id: TOKEN }, { type: 'ce', id: 'CE01.example.org' }, { name: 'submit' })));
    expect(ce.ok && [ce.value.query.resource, ce.value.query.host, ce.value.query.action]).toEqual([
      'http://authz-interop.org/xacml/resource/resource-type/ce',
      'ce01.example.org',
      'http://glite.org/xacml/action/ce/job/submit',
    ]);
    const arc = codec.decode(input(evaluation({ type: 'wlcg-token', id: TOKEN }, { type: 'resource-id', id: 'https://ce01.example.org:443/arex' }, { name: 'http://dci-sec.org/xacml/action/ANY' })));
    expect(arc.ok && [arc.value.query.resource, arc.value.query.host, arc.value.query.action]).toEqual(['https://ce01.example.org:443/arex', undefined, 'http://dci-sec.org/xacml/action/ANY']);
    expect(decodeError(evaluation({ type: 'wlcg-token', id: TOKEN }, { type: 'document', id: '1' }))?.detail).toMatch(/resource type/);
    expect(decodeError(evaluation({ type: 'wlcg-token', id: TOKEN }, { type: 'ce', id: 'not a host' }))?.detail).toMatch(/host name/);
    expect(decodeError(evaluation({ type: 'wlcg-token', id: TOKEN }, undefined, { name: 'can_read' }))?.detail).toMatch(/action-id/);
  });

  it('reads an asserted x509-dn subject with its FQANs, primary first, for the caller model to judge', () => {
    const r = codec.decode(input(evaluation({ type: 'x509-dn', id: '/DC=org/DC=example/CN=Alice', properties: { fqans: ['/atlas', '/atlas/production'] } })));
    if (!r.ok) throw new Error(r.error.detail);
    expect(r.value.query.subject.assertedDn?.toRfc2253()).toBe('CN=Alice,DC=example,DC=org');
    expect(r.value.query.subject.assertedPrimaryFqan?.toString()).toMatch(/^\/atlas/);
    expect(r.value.query.accountExpected).toBe(true);
  });

  it('treats null members as absent and ignores unknown members (§10.1.1, §11.5)', () => {
    expect(decodeError({ ...evaluation({ type: 'wlcg-token', id: TOKEN }), context: null, extension: { any: 1 } })).toBeUndefined();
    expect(decodeError({ ...evaluation({ type: 'wlcg-token', id: TOKEN }), resource: null })?.detail).toMatch(/resource is required/);
  });

  it('answers Permit with the account, anything else with decision false and codes but no rule or ban reference (§5.5)', () => {
    const decoded = codec.decode(input(evaluation({ type: 'wlcg-token', id: TOKEN })));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const ctx = { now: new Date(), newId: () => 'x' };
    const permit: AuthzResult = { decisionId: 'd1', decision: 'Permit', status: 'ok', account: { username: 'atlas001', uid: 61001, gid: 5000, groupName: 'atlas', secondaryGids: [5001] }, obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }], reasons: ['policy:p#1@site.spl:47'] };
    expect(JSON.parse(codec.encode(decoded.value, permit, ctx).body.toString())).toEqual({
      decision: true,
      context: { decision_id: 'd1', account: { username: 'atlas001', uid: 61001, gid: 5000, group: 'atlas', secondary_gids: [5001] } },
    });
    const banned: AuthzResult = { decisionId: 'd2', decision: 'Deny', status: 'ok', statusMessage: 'access denied by site policy', obligations: [], reasons: ['ban:42'] };
    expect(JSON.parse(codec.encode(decoded.value, banned, ctx).body.toString())).toEqual({ decision: false, context: { decision_id: 'd2', outcome: 'Deny', status: 'ok', message: 'access denied by site policy' } });
    const expired: AuthzResult = { decisionId: 'd3', decision: 'Deny', status: 'ok', obligations: [], reasons: ['CRED_TOKEN_EXPIRED'] };
    expect(JSON.parse(codec.encode(decoded.value, expired, ctx).body.toString()).context.reason_codes).toEqual(['CRED_TOKEN_EXPIRED']);
  });

  it('refuses with 400, or 413 for size, and a message string (§10.1.2)', () => {
    const tooBig = codec.encodeError({ code: 'PROTO_BODY_TOO_LARGE', detail: 'x' });
    expect([tooBig.httpStatus, tooBig.contentType]).toEqual([413, 'text/plain; charset=utf-8']);
    expect(codec.encodeError({ code: 'PROTO_QUERY_INVALID', detail: 'subject is required' })).toEqual({ httpStatus: 400, contentType: 'text/plain; charset=utf-8', body: 'PROTO_QUERY_INVALID: subject is required' });
    expect(decodeError(evaluation({ type: 'wlcg-token', id: TOKEN }), 'application/json; charset=latin1')?.code).toBe('PROTO_NOT_A_QUERY');
    expect(decodeError(evaluation({ type: 'wlcg-token', id: TOKEN }), 'application/json; charset=UTF-8')).toBeUndefined();
  });

  it('splits a batch with whole-object defaults (§7.1.1)', () => {
    const split = codec.splitEvaluations({
      path: '/access/v1/evaluations',
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ subject: { type: 'wlcg-token', id: TOKEN }, action: { name: 'execute' }, resource: { type: 'wn', id: 'a.example.org' }, evaluations: [{}, { resource: { type: 'ce', id: 'b.example.org' } }] })),
    });
    if (!split.ok) throw new Error(split.error.detail);
    const hosts = split.value.inputs.map((i) => {
      const d = codec.decode(i);
      return d.ok ? d.value.query.host : d.error.detail;
    });
    expect(hosts).toEqual(['a.example.org', 'b.example.org']);
  });
});
