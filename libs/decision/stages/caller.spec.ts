import { describe, expect, it } from 'vitest';
import { type AuthzRequest, Dn } from '@gridauthz/domain';
import { CallerModel } from '@gridauthz/mapping';
import { ALICE, asserted, BOB, CE, chain, PILOT } from '../decision.testkit';
import { admitCaller, standingForChain, standingOf } from './caller';
import { Trail } from './outcome';

const callers = CallerModel.of(
  [
    { dn: CE, role: 'asserter', source: 'config' },
    { dn: PILOT, role: 'pilot', source: 'config' },
  ],
  { hostToResource: [{ caller: CE, resources: [Dn.fromSlash('/DC=org/DC=example/CN=host/ce02.example.org')] }] },
);

const admit = (request: AuthzRequest) => {
  const trail = new Trail();
  return { step: admitCaller(request, callers, trail), reasons: trail.reasons };
};

describe('caller stage: what the request itself decides', () => {
  it('answers a defective request Indeterminate with the defect\'s status and code, before anything else', () => {
    const { step, reasons } = admit(asserted(ALICE, ['/atlas'], { defects: [{ kind: 'syntax-error', attribute: 'subject', detail: 'two subjects', code: 'REQUEST_AMBIGUOUS_SUBJECT' }] }));
    expect(step).toEqual({ ok: false, outcome: { decision: 'Indeterminate', status: 'syntax-error', statusMessage: 'subject: two subjects' } });
    expect(reasons).toEqual(['REQUEST_AMBIGUOUS_SUBJECT']);
    expect(admit(asserted(ALICE, [], { defects: [{ kind: 'missing-attribute', attribute: 'action', detail: 'none' }] })).reasons).toEqual(['REQUEST_MISSING_ATTRIBUTE']);
  });

  it('refuses a query that names no subject', () => {
    const { step, reasons } = admit(asserted(ALICE, [], { subject: {} }));
    expect(step).toMatchObject({ ok: false, outcome: { decision: 'Indeterminate', status: 'missing-attribute' } });
    expect(reasons).toEqual(['SUBJECT_MISSING']);
  });

  it('refuses a bearer token beside a chain or a subject-id as ambiguous (docs/tokens.md)', () => {
    for (const subject of [{ token: 'eyJ.x.y', chain: chain('alice') }, { token: 'eyJ.x.y', assertedDn: ALICE }]) {
      const { step, reasons } = admit(asserted(ALICE, [], { subject }));
      expect(step).toMatchObject({ ok: false, outcome: { decision: 'Indeterminate', status: 'syntax-error' } });
      expect(reasons).toEqual(['REQUEST_AMBIGUOUS_CREDENTIAL']);
    }
  });
});

describe('caller stage: the host rule (prima-saml1.md §1.1, §11)', () => {
  it('denies a caller asking on behalf of a host it does not serve, naming the host', () => {
    const { step, reasons } = admit(asserted(ALICE, ['/atlas'], { onBehalfOfHost: '/DC=org/DC=example/CN=host/ce03.example.org' }));
    expect(step).toMatchObject({ ok: false, outcome: { decision: 'Deny', status: 'ok', statusMessage: expect.stringContaining('ce03.example.org') } });
    expect(reasons).toEqual(['CALLER_NOT_AUTHORIZED']);
  });

  it('admits its own host and one a host-to-resource rule grants', () => {
    expect(admit(asserted(ALICE, ['/atlas'], { onBehalfOfHost: CE.toSlash() })).step.ok).toBe(true);
    expect(admit(asserted(ALICE, ['/atlas'], { onBehalfOfHost: '/DC=org/DC=example/CN=host/ce02.example.org' })).step.ok).toBe(true);
  });

  it('applies no host rule when the query names no host it asks for', () => {
    expect(admit(asserted(ALICE, ['/atlas'])).step.ok).toBe(true);
  });
});

describe('caller stage: who may rest the subject on what', () => {
  it("believes a trusted asserter's word, as a vouched (non-payload) question", () => {
    expect(admit(asserted(ALICE, ['/atlas'])).step).toEqual({ ok: true, value: { claim: { kind: 'asserted', dn: ALICE }, standing: { as: 'asserted', assertionsBelieved: true, payload: false } } });
  });

  it('refuses a pilot naming a DN without the chain, and a plain caller asserting someone else', () => {
    expect(admit(asserted(ALICE, ['/atlas'], { caller: { dn: PILOT, viaProxy: false } }))).toMatchObject({ step: { ok: false, outcome: { decision: 'Deny' } }, reasons: ['CALLER_CHAIN_REQUIRED'] });
    expect(admit(asserted(ALICE, ['/atlas'], { caller: { dn: BOB, viaProxy: false } }))).toMatchObject({ step: { ok: false, outcome: { decision: 'Indeterminate', status: 'missing-attribute' } }, reasons: ['SUBJECT_NOT_VERIFIABLE'] });
  });

  it("answers a plain caller naming itself from its own credentials, never its word", () => {
    expect(admit(asserted(BOB, ['/atlas'], { caller: { dn: BOB, viaProxy: false } })).step).toMatchObject({ ok: true, value: { standing: { as: 'own-credentials', assertionsBelieved: false, payload: false } } });
  });

  it('leaves a chain to be judged once verified: its owner, a pilot or an asserter may send it', () => {
    expect(admit(asserted(ALICE, [], { subject: { chain: chain('alice') } })).step).toEqual({ ok: true, value: { claim: { kind: 'chain', chain: chain('alice') } } });
    const trail = new Trail();
    expect(standingForChain(callers, PILOT, ALICE, trail)).toEqual({ ok: true, value: standingOf('pilot') });
    expect(standingForChain(callers, ALICE, ALICE, trail)).toEqual({ ok: true, value: standingOf('self') });
    expect(standingForChain(callers, BOB, ALICE, trail)).toMatchObject({ ok: false, outcome: { decision: 'Deny' } });
    expect(trail.reasons).toEqual(['caller:pilot', 'MAPPING_CALLER_NOT_WHITELISTED']);
    expect(standingOf('pilot')).toEqual({ as: 'pilot', assertionsBelieved: false, payload: true });
    expect(standingOf('asserter')).toEqual({ as: 'asserter', assertionsBelieved: true, payload: true });
  });

  it("lets only a pilot or an asserter present someone's token", () => {
    expect(admit(asserted(ALICE, [], { subject: { token: 'eyJ.x.y' } })).step).toMatchObject({ ok: true, value: { claim: { kind: 'token' }, standing: { as: 'asserter' } } });
    expect(admit(asserted(ALICE, [], { caller: { dn: BOB, viaProxy: false }, subject: { token: 'eyJ.x.y' } }))).toMatchObject({ step: { ok: false, outcome: { decision: 'Deny' } }, reasons: ['MAPPING_CALLER_NOT_WHITELISTED'] });
  });
});
