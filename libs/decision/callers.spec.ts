import { describe, expect, it } from 'vitest';
import { Dn, Fqan, type AuthzRequest } from '@gridauthz/domain';
import { ARGUS_SETTINGS, CallerModel, compileMappingConfig, type MappingConfig } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import { Decider } from './decide';
import { InMemoryDecisionStorage } from './in-memory-storage';
import type { VerifiedSubject } from './ports';

const CE = Dn.fromSlash('/DC=org/DC=example/CN=host/ce01.example.org');
const PILOT = Dn.fromSlash('/DC=org/DC=example/CN=Pilot');
const ALICE = Dn.fromSlash('/DC=org/DC=example/CN=Alice');
const MALLORY = Dn.fromSlash('/DC=org/DC=example/CN=Mallory');

const mappingConfig: MappingConfig = {
  pools: [
    { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 3, firstUid: 7001, width: 3, gid: 5000 } },
    { id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 3, firstUid: 8001, width: 3, gid: 5003 } },
  ],
  groups: [
    { name: 'atlas', gid: 5000 },
    { name: 'dteam', gid: 5003 },
  ],
  rules: [
    { id: 'atlas', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' } },
    { id: 'dteam', subject: { kind: 'fqan', pattern: '/dteam' }, account: { kind: 'pool', poolId: 'dteam' } },
  ],
  pilotRoles: [],
  payloadCallers: [],
};

const subject = (dn: Dn, ...fqans: string[]): VerifiedSubject => ({
  dn,
  issuerDns: [],
  fqans: fqans.map((f) => Fqan.parse(f)),
  vos: [...new Set(fqans.map((f) => Fqan.parse(f).vo))],
  limited: false,
  droppedAttributes: [],
});

/** Chains are stand-ins: the verifier knows them by their text. */
const CHAINS: Record<string, VerifiedSubject> = {
  'alice-voms': subject(ALICE, '/atlas'),
  'mallory-plain': subject(MALLORY),
  'mallory-dteam': subject(MALLORY, '/dteam'),
};
const chain = (name: string): Buffer[] => [Buffer.from(name)];

function site() {
  const mapping = compileMappingConfig(mappingConfig, ARGUS_SETTINGS);
  if (!mapping.ok) throw new Error(mapping.error.detail);
  const policy = parsePolicy('resource ".*" {\n  action ".*" {\n    rule permit { vo = "atlas" }\n    rule permit { vo = "dteam" }\n  }\n}\n', 'test.spl');
  if (!policy.ok) throw new Error(JSON.stringify(policy));
  const callers = CallerModel.of([
    { dn: CE, role: 'asserter', source: 'database' },
    { dn: PILOT, role: 'pilot', source: 'database' },
  ]);
  const storage = new InMemoryDecisionStorage([...mapping.value.pools.values()]);
  let n = 0;
  const decider = new Decider({
    verifier: {
      verify: (c) => {
        const s = CHAINS[c[0]?.toString() ?? ''];
        return s ? { ok: true, value: s } : { ok: false, error: { code: 'CRED_UNKNOWN', detail: 'unknown test chain' } };
      },
    },
    configuration: { policy: () => policy.value, mapping: () => mapping.value, bans: () => [], callers: () => callers },
    storage,
    newId: () => `d-${(n += 1)}`,
    monotonicMs: () => 0,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { decider, storage };
}

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
