/**
 * The stages in order, through `Decider.decide`: every refusal path ends in one recorded decision with its reason,
 * and the obligations contract decides which Permits are mapped (docs/architecture.md, "Pipeline stages",
 * "Obligations").
 */
import { describe, expect, it, vi } from 'vitest';
import { Dn, type Subject } from '@gridauthz/domain';
import { ALICE, asserted, at, BOB, CE, testSite } from './decision.testkit';

const MAP = 'http://glite.org/xacml/obligation/local-environment-map';
/** One resource permits without an obligation, the other with the gLite map obligation (Argus style). */
const TWO_RESOURCES = `resource "urn:example:plain" {\n  action ".*" {\n    rule permit { vo = atlas }\n  }\n}\nresource "urn:example:mapped" {\n  obligation "${MAP}" {}\n  action ".*" {\n    rule permit { vo = atlas }\n  }\n}\n`;
const NO_OBLIGATIONS = 'resource ".*" {\n  action ".*" {\n    rule permit { vo = atlas }\n  }\n}\n';
const on = (resource: string) => asserted(ALICE, ['/atlas'], { resource });

describe('pipeline: obligations decide which Permit is mapped', () => {
  it('required (auto with a policy naming the map obligation): a Permit without it has no account, takes no lease, records no user', async () => {
    const { decider, storage } = testSite({ policy: TWO_RESOURCES });
    const plain = await decider.decide(on('urn:example:plain'), at(0));
    expect(plain.result).toMatchObject({ decision: 'Permit', status: 'ok' });
    expect(plain.result.account).toBeUndefined();
    expect(plain.result.obligations).toEqual([]);
    expect(plain.record.username).toBeUndefined();
    expect(await storage.leases.list()).toEqual([]);

    const mapped = await decider.decide(on('urn:example:mapped'), at(1));
    expect(mapped.result).toMatchObject({ decision: 'Permit', account: { username: 'atlas001', gid: 5000 }, obligations: [{ id: MAP, fulfillOn: 'Permit', assignments: [] }] });
    expect(mapped.record.username).toBe('atlas001');
    expect((await storage.leases.list()).map((l) => l.username)).toEqual(['atlas001']);
  });

  it('required maps on the obligation whatever the protocol: a plain XACML query is mapped too', async () => {
    const { decider } = testSite({ policy: TWO_RESOURCES });
    const xacml = await decider.decide({ ...on('urn:example:mapped'), dialect: 'xacml', accountExpected: false }, at(0));
    expect(xacml.result.account?.username).toBe('atlas001');
  });

  it('implicit (set explicitly): every Permit of a query expecting an account is mapped, with the gLite map obligation', async () => {
    const { decider } = testSite({ policy: TWO_RESOURCES, accountObligation: 'implicit' });
    for (const resource of ['urn:example:plain', 'urn:example:mapped']) {
      const { result, record } = await decider.decide(on(resource), at(0));
      expect(result).toMatchObject({ decision: 'Permit', account: { username: 'atlas001' }, obligations: [{ id: MAP }] });
      expect(record.username).toBe('atlas001');
    }
    const xacml = await decider.decide({ ...on('urn:example:plain'), accountExpected: false }, at(1));
    expect(xacml.result.account).toBeUndefined();
    expect(xacml.result.obligations).toEqual([]);
  });

  it('auto with a policy naming no obligation behaves as implicit, so sites working today keep working', async () => {
    const { decider } = testSite({ policy: NO_OBLIGATIONS });
    const { result } = await decider.decide(on('anything'), at(0));
    expect(result).toMatchObject({ decision: 'Permit', account: { username: 'atlas001' }, obligations: [{ id: MAP }] });
    const required = testSite({ policy: NO_OBLIGATIONS, accountObligation: 'required' });
    expect((await required.decider.decide(on('anything'), at(0))).result.account).toBeUndefined();
  });
});

describe('pipeline: refusals, each recorded once with its reason', () => {
  it('a refused caller (PRIMA Resource rule): Deny CALLER_NOT_AUTHORIZED, recorded, no lease', async () => {
    const { decider, storage } = testSite();
    const { result, record } = await decider.decide(asserted(ALICE, ['/atlas'], { onBehalfOfHost: '/DC=org/DC=example/CN=host/other.example.org' }), at(0));
    expect(result).toMatchObject({ decision: 'Deny', reasons: ['CALLER_NOT_AUTHORIZED'] });
    expect(storage.records).toEqual([record]);
    expect(record.subjectDn).toBe(ALICE.toSlash());
    expect(await storage.leases.list()).toEqual([]);
  });

  it('a refused subject credential: Deny with the verifier code, recorded', async () => {
    const { decider, storage } = testSite();
    const { result } = await decider.decide(asserted(ALICE, [], { subject: { chain: [Buffer.from('forged')] } }), at(0));
    expect(result).toMatchObject({ decision: 'Deny', reasons: ['CRED_CHAIN_UNTRUSTED'] });
    expect(storage.records.map((r) => r.reasons)).toEqual([['CRED_CHAIN_UNTRUSTED']]);
  });

  it('an ambiguous credential (token beside a subject-id): Indeterminate syntax-error', async () => {
    const { decider } = testSite();
    const { result } = await decider.decide(asserted(ALICE, [], { subject: { assertedDn: ALICE, token: 'eyJ.x.y' } }), at(0));
    expect(result).toMatchObject({ decision: 'Indeterminate', status: 'syntax-error', reasons: ['REQUEST_AMBIGUOUS_CREDENTIAL'] });
  });

  it('a ban: Deny with the client message, the ban id recorded, before policy', async () => {
    const ban = { id: 'b1', kind: 'dn' as const, value: ALICE.toSlash(), reason: 'incident 42', author: 'officer', createdAt: at(0) };
    const { decider, storage } = testSite({ bans: [ban] });
    const { result } = await decider.decide(on('x'), at(1));
    expect(result).toMatchObject({ decision: 'Deny', statusMessage: 'access denied by site policy', reasons: ['subject:asserted', 'ban:b1'] });
    expect(storage.records[0]?.reasons).toEqual(['subject:asserted', 'ban:b1']);
  });

  it('policy Deny, NotApplicable and Indeterminate, and no policy loaded', async () => {
    const deny = testSite({ policy: 'resource ".*" {\n  action ".*" {\n    rule deny { vo = atlas }\n  }\n}\n' });
    expect((await deny.decider.decide(on('x'), at(0))).result).toMatchObject({ decision: 'Deny', status: 'ok' });
    const none = testSite({ policy: 'resource "other" {\n  action ".*" {\n    rule permit { vo = atlas }\n  }\n}\n' });
    expect((await none.decider.decide(on('x'), at(0))).result).toMatchObject({ decision: 'NotApplicable', reasons: ['subject:asserted'] });
    // emi-resource-owner is an x500Name compared string-equal in Argus: Indeterminate (policy-language.md §12.8).
    const broken = testSite({ policy: 'resource ".*" {\n  action ".*" {\n    rule permit { emi-resource-owner = "CN=x" }\n  }\n}\n' });
    const indeterminate = await broken.decider.decide({ ...on('x'), resourceAttributes: { 'emi-resource-owner': ['CN=ce.example.org,CN=host,DC=org'] } }, at(0));
    expect(indeterminate.result).toMatchObject({ decision: 'Indeterminate', status: 'processing-error' });
    expect(indeterminate.result.reasons.at(-1)).toBe('POLICY_INDETERMINATE');
    const unloaded = testSite({ noPolicy: true });
    expect((await unloaded.decider.decide(on('x'), at(0))).result).toMatchObject({ decision: 'Indeterminate', reasons: ['subject:asserted', 'POLICY_NOT_LOADED'] });
  });

  it('a mapping failure: no rule, pool exhausted, no mapping loaded', async () => {
    const { decider, storage } = testSite({ policy: 'resource ".*" {\n  action ".*" {\n    rule permit { subject = "/DC=org/DC=example/CN=Alice" }\n    rule permit { vo = atlas }\n  }\n}\n' });
    expect((await decider.decide(asserted(ALICE, []), at(0))).result).toMatchObject({ decision: 'Deny', reasons: expect.arrayContaining(['MAPPING_NO_MATCH']) });
    for (const n of ['A', 'B']) await decider.decide(asserted(Dn.fromSlash(`/DC=org/CN=${n}`), ['/atlas']), at(1));
    const exhausted = await decider.decide(asserted(BOB, ['/atlas']), at(2));
    expect(exhausted.result).toMatchObject({ decision: 'Deny' });
    expect(exhausted.result.reasons.at(-1)).toBe('MAPPING_POOL_EXHAUSTED');
    expect(storage.records.at(-1)?.decision).toBe('Deny');
    const unmapped = testSite({ noMapping: true });
    expect((await unmapped.decider.decide(on('x'), at(0))).result).toMatchObject({ decision: 'Indeterminate', status: 'processing-error', reasons: expect.arrayContaining(['MAPPING_NOT_CONFIGURED']) });
  });

  it('storage failure: Indeterminate INTERNAL_ERROR, never Permit, and the failure is recorded when storage allows', async () => {
    const { decider, storage, errors } = testSite();
    storage.failNext = new Error('database gone');
    const { result } = await decider.decide(on('x'), at(0));
    expect(result).toMatchObject({ decision: 'Indeterminate', status: 'processing-error', statusMessage: 'internal error; see the service log' });
    expect(result.reasons.at(-1)).toBe('INTERNAL_ERROR');
    expect(result.account).toBeUndefined();
    expect(storage.records.map((r) => [r.decision, r.reasons.at(-1)])).toEqual([['Indeterminate', 'INTERNAL_ERROR']]);
    expect(errors).toEqual(['decision failed']);
  });

  it('a deadline already past: the Indeterminate that was answered is recorded, no lease taken', async () => {
    const { decider, storage } = testSite();
    const transaction = vi.spyOn(storage, 'transaction');
    const deadline = { expired: true, started: () => undefined, enterCommit: () => false };
    const { result } = await decider.decide(on('x'), at(0), { deadline });
    expect(result).toMatchObject({ decision: 'Indeterminate', status: 'processing-error' });
    expect(result.reasons.at(-1)).toBe('OVERLOAD_DEADLINE_EXCEEDED');
    expect(storage.records.map((r) => r.decision)).toEqual(['Indeterminate']);
    expect(transaction).not.toHaveBeenCalled();
  });
});

describe('pipeline: a token subject (no DN) through every stage', () => {
  const TOKEN_SUBJECT: Subject = {
    token: { issuer: 'https://issuer.example', subject: 'u-42' },
    issuerDns: [],
    fqans: [],
    vos: ['atlas'],
    limited: false,
    droppedAttributes: [],
    attributes: { 'oidc-issuer': ['https://issuer.example'] },
  };
  const tokenVerifier = { verify: () => ({ ok: true as const, value: TOKEN_SUBJECT }) };
  const OIDC = 'resource "urn:example:plain" {\n  action ".*" {\n    rule permit { oidc-issuer = "https://issuer.example" }\n  }\n}\nresource "urn:example:mapped" {\n  obligation "http://glite.org/xacml/obligation/local-environment-map" {}\n  action ".*" {\n    rule permit { oidc-issuer = "https://issuer.example" }\n  }\n}\n';
  const token = (resource: string) => asserted(ALICE, [], { caller: { dn: CE, viaProxy: false }, subject: { token: 'eyJ.x.y' }, resource });

  it("reaches policy with the token's attributes; a Permit without the map obligation needs no DN", async () => {
    const { decider, storage } = testSite({ policy: OIDC, tokenVerifier });
    const { result, record } = await decider.decide(token('urn:example:plain'), at(0));
    expect(result).toMatchObject({ decision: 'Permit', reasons: ['caller:asserter', 'subject:token', expect.stringMatching(/^policy:/)] });
    expect(record.subjectDn).toBeUndefined();
    expect(storage.records).toHaveLength(1);
  });

  it('mapping refuses a subject without a DN (until the tokens lane widens mapping), and a VO ban still names it', async () => {
    const { decider } = testSite({ policy: OIDC, tokenVerifier });
    expect((await decider.decide(token('urn:example:mapped'), at(0))).result).toMatchObject({ decision: 'Deny', reasons: expect.arrayContaining(['MAPPING_NO_MATCH']) });
    const ban = { id: 'vo1', kind: 'vo' as const, value: 'atlas', reason: 'suspended', author: 'officer', createdAt: at(0) };
    const banned = testSite({ policy: OIDC, tokenVerifier, bans: [ban, { ...ban, id: 'dn1', kind: 'dn' as const, value: '/DC=org/CN=*' }] });
    expect((await banned.decider.decide(token('urn:example:plain'), at(1))).result.reasons.at(-1)).toBe('ban:vo1');
  });

  it('without a token verifier the site denies every token', async () => {
    const { decider } = testSite({ policy: OIDC });
    expect((await decider.decide(token('urn:example:plain'), at(0))).result).toMatchObject({ decision: 'Deny', reasons: ['caller:asserter', 'CRED_TOKEN_NOT_ACCEPTED'] });
  });
});
