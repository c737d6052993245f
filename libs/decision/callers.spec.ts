import { describe, expect, it } from 'vitest';
import { Dn, Fqan, type AuthzRequest } from '@gridauthz/domain';
import { ALICE, CE, chain, PILOT, subjectOf, testSite } from './decision.testkit';

const MALLORY = Dn.fromSlash('/DC=org/DC=example/CN=Mallory');

/** The test kit's site (the CE a trusted asserter, PILOT a pilot) with the chains these tests present. */
const site = () =>
  testSite({
    poolSize: 3,
    chains: {
      'alice-voms': subjectOf(ALICE, '/atlas'),
      'mallory-plain': subjectOf(MALLORY),
      'mallory-dteam': subjectOf(MALLORY, '/dteam'),
    },
  });

function ask(caller: { dn: Dn; chain?: string }, about: { chain?: string; assertedDn?: Dn; fqans?: string[] }): AuthzRequest {
  return {
    dialect: 'prima',
    accountExpected: true,
    caller: { dn: caller.dn, viaProxy: caller.chain !== undefined, ...(caller.chain !== undefined ? { chain: chain(caller.chain) } : {}) },
    subject: {
      ...(about.chain !== undefined ? { chain: chain(about.chain) } : {}),
      ...(about.assertedDn ? { assertedDn: about.assertedDn } : {}),
      ...(about.fqans ? { assertedFqans: about.fqans.map((f) => Fqan.parse(f)) } : {}),
    },
    resource: 'ce',
    action: 'access',
    obligationsSupported: [],
    environment: {},
    defects: [],
  };
}

const now = new Date(Date.UTC(2026, 11, 7, 12));

describe('Decider: the caller model decides who may ask what', () => {
  it('believes a trusted asserter (CE) asserting a subject without a chain', async () => {
    const { decider } = site();
    const d = await decider.decide(ask({ dn: CE }, { assertedDn: ALICE, fqans: ['/atlas'] }), now);
    expect(d.result).toMatchObject({ decision: 'Permit', account: { username: 'atlas001' } });
    expect(d.result.reasons).toContain('subject:asserted');
  });

  it('refuses a pilot naming a DN without the payload chain, and takes no lease', async () => {
    const { decider, storage } = site();
    const d = await decider.decide(ask({ dn: PILOT }, { assertedDn: ALICE, fqans: ['/atlas'] }), now);
    expect(d.result).toMatchObject({ decision: 'Deny', reasons: ['CALLER_CHAIN_REQUIRED'] });
    expect(await storage.leases.list()).toEqual([]);
    expect(storage.records.at(-1)).toMatchObject({ decision: 'Deny', reasons: ['CALLER_CHAIN_REQUIRED'] });
  });

  it('maps the payload when the pilot sends its chain', async () => {
    const { decider } = site();
    const d = await decider.decide(ask({ dn: PILOT }, { chain: 'alice-voms' }), now);
    expect(d.result).toMatchObject({ decision: 'Permit', account: { username: 'atlas001' } });
    expect(d.result.reasons).toContain('caller:pilot');
  });

  it('refuses a caller with no role asking about another chain', async () => {
    const { decider } = site();
    const d = await decider.decide(ask({ dn: MALLORY, chain: 'mallory-plain' }, { chain: 'alice-voms' }), now);
    expect(d.result).toMatchObject({ decision: 'Deny', reasons: ['MAPPING_CALLER_NOT_WHITELISTED'] });
  });

  it('answers a self-assertion from the caller\'s own chain: a plain proxy gets no VO account whatever it asserts', async () => {
    const { decider, storage } = site();
    const d = await decider.decide(ask({ dn: MALLORY, chain: 'mallory-plain' }, { assertedDn: MALLORY, fqans: ['/atlas'] }), now);
    expect(d.result.decision).not.toBe('Permit');
    expect(d.result.account).toBeUndefined();
    expect(d.result.reasons).toContain('subject:own-credentials');
    expect(storage.records.at(-1)?.fqans).toEqual([]);
    expect(await storage.leases.list()).toEqual([]);
  });

  it('a self-assertion with VOMS ACs maps by the ACs, not by the asserted FQANs', async () => {
    const { decider } = site();
    const d = await decider.decide(ask({ dn: MALLORY, chain: 'mallory-dteam' }, { assertedDn: MALLORY, fqans: ['/atlas'] }), now);
    expect(d.result).toMatchObject({ decision: 'Permit', account: { username: 'dteam001' } });
  });

  it('a self-assertion without the caller\'s chain is Indeterminate, never the asserted attributes', async () => {
    const { decider } = site();
    const d = await decider.decide(ask({ dn: MALLORY }, { assertedDn: MALLORY, fqans: ['/atlas'] }), now);
    expect(d.result).toMatchObject({ decision: 'Indeterminate', reasons: ['SUBJECT_NOT_VERIFIABLE'] });
  });

  it('a caller with no role asserting someone else is Indeterminate (send the chain)', async () => {
    const { decider } = site();
    const d = await decider.decide(ask({ dn: MALLORY, chain: 'mallory-plain' }, { assertedDn: ALICE, fqans: ['/atlas'] }), now);
    expect(d.result).toMatchObject({ decision: 'Indeterminate', status: 'missing-attribute', reasons: ['SUBJECT_NOT_VERIFIABLE'] });
  });

  it('a request defect (a PRIMA query that cannot carry a Permit) is Indeterminate with no lease, even from an asserter', async () => {
    const { decider, storage } = site();
    const request = { ...ask({ dn: CE }, { assertedDn: ALICE, fqans: ['/atlas'] }), defects: [{ kind: 'missing-attribute' as const, attribute: 'RespondWith/Action', detail: 'no obligated statement' }] };
    const d = await decider.decide(request, now);
    expect(d.result.decision).toBe('Indeterminate');
    expect(await storage.leases.list()).toEqual([]);
    expect(storage.records.at(-1)).toMatchObject({ decision: 'Indeterminate' });
    expect(storage.records.at(-1)?.username).toBeUndefined();
  });
});
