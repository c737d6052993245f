import { describe, expect, it } from 'vitest';
import { type AuthzRequest, Fqan, type Subject } from '@gridauthz/domain';
import { CallerModel } from '@gridauthz/mapping';
import { ALICE, asserted, BOB, CE, chain, PILOT, subjectOf } from '../decision.testkit';
import type { SubjectPorts } from './subject';
import { admitCaller } from './caller';
import { Trail } from './outcome';
import { establishSubject } from './subject';

const callers = CallerModel.of([
  { dn: CE, role: 'asserter', source: 'config' },
  { dn: PILOT, role: 'pilot', source: 'config' },
]);
const CHAINS: Record<string, Subject> = {
  alice: { ...subjectOf(ALICE, '/atlas'), droppedAttributes: ['CRED_AC_EXPIRED (dteam): expired'] },
  bob: subjectOf(BOB, '/dteam'),
};
const chainVerifier: SubjectPorts['verifier'] = {
  verify: (c) => {
    const s = CHAINS[c[0]?.toString() ?? ''];
    return s ? { ok: true, value: s } : { ok: false, error: { code: 'CRED_CHAIN_UNTRUSTED', detail: 'no path to a trusted CA' } };
  },
};
const TOKEN_SUBJECT: Subject = {
  token: { issuer: 'https://issuer.example', subject: 'u-42' },
  issuerDns: [],
  fqans: [],
  vos: ['atlas'],
  groups: ['/atlas'],
  limited: false,
  droppedAttributes: [],
  attributes: { 'oidc-issuer': ['https://issuer.example'] },
};
/** A fake token verifier: "good" verifies, anything else is refused. */
const tokenVerifier: SubjectPorts['tokenVerifier'] = {
  verify: (token) => (token === 'good' ? { ok: true, value: TOKEN_SUBJECT } : { ok: false, error: { code: 'CRED_TOKEN_EXPIRED', detail: 'exp is in the past' } }),
};

async function establish(request: AuthzRequest, ports: SubjectPorts = { verifier: chainVerifier, tokenVerifier }) {
  const trail = new Trail();
  const admitted = admitCaller(request, callers, trail);
  if (!admitted.ok) throw new Error('not admitted');
  const seen: Subject[] = [];
  const step = await establishSubject(request, admitted.value, ports, callers, new Date(0), trail, (s) => seen.push(s));
  return { step, reasons: trail.reasons, seen };
}

describe('subject stage: a certificate chain', () => {
  it("verifies the chain; the pilot's standing and the dropped ACs are recorded", async () => {
    const { step, reasons } = await establish(asserted(ALICE, [], { caller: { dn: PILOT, viaProxy: false }, subject: { chain: chain('alice') } }));
    expect(step).toMatchObject({ ok: true, value: { subject: { dn: ALICE }, standing: { as: 'pilot', payload: true } } });
    expect(reasons).toEqual(['voms-dropped:CRED_AC_EXPIRED (dteam): expired', 'caller:pilot']);
  });

  it("denies a chain the verifier refuses, with the verifier's code", async () => {
    const { step, reasons } = await establish(asserted(ALICE, [], { subject: { chain: chain('forged') } }));
    expect(step).toEqual({ ok: false, outcome: { decision: 'Deny', status: 'ok', statusMessage: 'subject credential refused: no path to a trusted CA' } });
    expect(reasons).toEqual(['CRED_CHAIN_UNTRUSTED']);
  });

  it("refuses a subject-id naming someone other than the chain's owner, recorded under the chain's subject", async () => {
    const { step, reasons, seen } = await establish(asserted(BOB, [], { subject: { chain: chain('alice'), assertedDn: BOB } }));
    expect(step).toMatchObject({ ok: false, outcome: { decision: 'Indeterminate', status: 'syntax-error' } });
    expect(reasons.at(-1)).toBe('REQUEST_SUBJECT_MISMATCH');
    expect(seen[0]?.dn?.equals(ALICE)).toBe(true);
  });

  it('refuses a plain caller sending another subject\'s chain', async () => {
    const { step, reasons } = await establish(asserted(ALICE, [], { caller: { dn: BOB, viaProxy: false }, subject: { chain: chain('alice') } }));
    expect(step).toMatchObject({ ok: false, outcome: { decision: 'Deny' } });
    expect(reasons.at(-1)).toBe('MAPPING_CALLER_NOT_WHITELISTED');
  });
});

describe('subject stage: a bearer token (docs/tokens.md)', () => {
  it('takes the subject the token verifier returns: token identity, groups, policy attributes', async () => {
    const { step, reasons } = await establish(asserted(ALICE, [], { subject: { token: 'good' } }));
    // A CE showing its job's token vouches for the job's owner: not a payload mapping (docs/mapping-tokens.md).
    expect(step).toEqual({ ok: true, value: { subject: TOKEN_SUBJECT, standing: { as: 'asserter', assertionsBelieved: true, payload: false } } });
    expect(reasons).toEqual(['caller:asserter', 'subject:token']);
  });

  it('denies a token the verifier refuses, with its code', async () => {
    const { step, reasons } = await establish(asserted(ALICE, [], { subject: { token: 'stale' } }));
    expect(step).toMatchObject({ ok: false, outcome: { decision: 'Deny', statusMessage: 'subject token refused: exp is in the past' } });
    expect(reasons.at(-1)).toBe('CRED_TOKEN_EXPIRED');
  });

  it('denies every token when the site configured no token verifier', async () => {
    const { step, reasons } = await establish(asserted(ALICE, [], { subject: { token: 'good' } }), { verifier: chainVerifier });
    expect(step).toMatchObject({ ok: false, outcome: { decision: 'Deny', status: 'ok' } });
    expect(reasons.at(-1)).toBe('CRED_TOKEN_NOT_ACCEPTED');
  });
});

describe('subject stage: asserted and own credentials', () => {
  it("takes a trusted asserter's subject, primary FQAN first wherever the list had it", async () => {
    const request = asserted(ALICE, ['/dteam', '/atlas'], {});
    const withPrimary = { ...request, subject: { ...request.subject, assertedPrimaryFqan: Fqan.parse('/atlas') } };
    const { step, reasons } = await establish(withPrimary);
    expect(step.ok && step.value.subject.fqans.map((f) => f.toLong())).toEqual(['/atlas/Role=NULL/Capability=NULL', '/dteam/Role=NULL/Capability=NULL']);
    expect(step.ok && step.value.subject.vos).toEqual(['dteam', 'atlas']);
    expect(reasons).toEqual(['subject:asserted']);
  });

  it("answers a caller naming itself from its own chain, and refuses when it is absent", async () => {
    const own = await establish(asserted(BOB, ['/atlas'], { caller: { dn: BOB, viaProxy: true, chain: chain('bob') } }));
    expect(own.step).toMatchObject({ ok: true, value: { subject: { dn: BOB } } });
    expect(own.step.ok && own.step.value.subject.fqans.map((f) => f.vo)).toEqual(['dteam']);
    expect(own.reasons).toEqual(['subject:own-credentials']);
    const none = await establish(asserted(BOB, ['/atlas'], { caller: { dn: BOB, viaProxy: false } }));
    expect(none.step).toMatchObject({ ok: false, outcome: { decision: 'Indeterminate', status: 'missing-attribute' } });
    expect(none.reasons).toEqual(['SUBJECT_NOT_VERIFIABLE']);
  });
});
