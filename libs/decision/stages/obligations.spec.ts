import { describe, expect, it } from 'vitest';
import { ACCOUNT_MAPPING_OBLIGATIONS } from '@gridauthz/domain';
import { evaluate, parsePolicy, type PolicySet } from '@gridauthz/policy';
import { ALICE, asserted } from '../decision.testkit';
import { namesAccountObligation, obligationsOf, resolveMode, resultObligations } from './obligations';

const MAP = 'http://glite.org/xacml/obligation/local-environment-map';
const policy = (text: string): PolicySet => {
  const parsed = parsePolicy(text, 'test.spl');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error.diagnostics));
  return parsed.value;
};
const ARGUS = policy(`resource "plain" {\n  action ".*" {\n    rule permit { vo = atlas }\n  }\n}\nresource "mapped" {\n  obligation "${MAP}" {}\n  action ".*" {\n    obligation "urn:example:notify" { subject = "CN=Ops,DC=example" }\n    rule permit { vo = atlas }\n  }\n}\n`);
const NONE = policy('resource ".*" {\n  action ".*" {\n    rule permit { vo = atlas }\n  }\n}\n');
const permitOn = (set: PolicySet, resource: string) => evaluate(set, { subject: { dn: ALICE, fqans: [], vo: ['atlas'] }, resource, action: 'x' });

describe('obligations stage: the account-obligation contract (docs/architecture.md, "Obligations")', () => {
  it('auto is required when the policy names an account-mapping obligation anywhere, implicit otherwise', () => {
    expect(namesAccountObligation(ARGUS)).toBe(true);
    expect(namesAccountObligation(NONE)).toBe(false);
    expect(resolveMode('auto', ARGUS)).toBe('required');
    expect(resolveMode('auto', NONE)).toBe('implicit');
    expect(resolveMode('implicit', ARGUS)).toBe('implicit');
    expect(ACCOUNT_MAPPING_OBLIGATIONS).toContain(MAP);
  });

  it('required: only a Permit whose matched blocks carry the map obligation asks for an account, whatever the protocol', () => {
    expect(obligationsOf('required', ARGUS, permitOn(ARGUS, 'plain'), asserted(ALICE, []))).toEqual({ obligations: [], account: false });
    const mapped = obligationsOf('required', ARGUS, permitOn(ARGUS, 'mapped'), asserted(ALICE, [], { dialect: 'xacml', accountExpected: false }));
    expect(mapped.account).toBe(true);
    // Policy order: the resource block's obligation, then the action block's, with its attribute as XACML carries it.
    expect(mapped.obligations).toEqual([
      { id: MAP, fulfillOn: 'Permit', assignments: [] },
      { id: 'urn:example:notify', fulfillOn: 'Permit', assignments: [{ id: expect.stringContaining('subject-id'), value: 'CN=Ops,DC=example', dataType: expect.stringContaining('x500Name') }] },
    ]);
  });

  it('implicit: a Permit of a query that expects an account is mapped and carries the gLite map obligation; others are not', () => {
    expect(obligationsOf('implicit', NONE, permitOn(NONE, 'any'), asserted(ALICE, []))).toEqual({ obligations: [{ id: MAP, fulfillOn: 'Permit', assignments: [] }], account: true });
    expect(obligationsOf('implicit', NONE, permitOn(NONE, 'any'), asserted(ALICE, [], { accountExpected: false }))).toEqual({ obligations: [], account: false });
    // The policy's own map obligation is not doubled, and is dropped where no account will be given.
    expect(obligationsOf('implicit', ARGUS, permitOn(ARGUS, 'mapped'), asserted(ALICE, [])).obligations.map((o) => o.id)).toEqual([MAP, 'urn:example:notify']);
    expect(obligationsOf('implicit', ARGUS, permitOn(ARGUS, 'mapped'), asserted(ALICE, [], { accountExpected: false })).obligations.map((o) => o.id)).toEqual(['urn:example:notify']);
  });

  it('the result carries an account obligation only with the account that fulfils it, and a Deny none of the Permit ones', () => {
    const asked = obligationsOf('required', ARGUS, permitOn(ARGUS, 'mapped'), asserted(ALICE, []));
    const account = { username: 'atlas001', uid: 7001, gid: 5000, secondaryGids: [] };
    expect(resultObligations(asked, { decision: 'Permit', status: 'ok', account }).map((o) => o.id)).toEqual([MAP, 'urn:example:notify']);
    expect(resultObligations(asked, { decision: 'Permit', status: 'ok' }).map((o) => o.id)).toEqual(['urn:example:notify']);
    expect(resultObligations(asked, { decision: 'Deny', status: 'ok' })).toEqual([]);
    expect(resultObligations(asked, { decision: 'Indeterminate', status: 'processing-error' })).toEqual([]);
    expect(resultObligations(undefined, { decision: 'Deny', status: 'ok' })).toEqual([]);
  });
});
