import { describe, expect, it } from 'vitest';
import { renderPolicyTestReport, runPolicyTests } from './policy-tests';
import { SPEC_7_1 } from './testing/fixtures';

const CASES = `
defaults:
  resource: http://authz-interop.org/xacml/resource/resource-type/wn
  action: http://glite.org/xacml/action/execute
cases:
  - name: P3 atlas member
    request: { subject: /DC=org/DC=example/CN=Alice, fqan: [/atlas] }
    expect:
      decision: Permit
      line: 16
      obligations: [http://glite.org/xacml/obligation/local-environment-map]
  - name: P4 pilot
    request: { pfqan: /atlas/Role=pilot }
    expect: { decision: Deny }
  - name: P11 other issuer on the CE
    request:
      vo: atlas
      subject-issuer: [CN=Other CA,O=Other,C=YY]
      resource: http://example.org/ce/ce01
    expect: { decision: NotApplicable }
`;

describe('runPolicyTests', () => {
  it('passes matching cases', () => {
    const report = runPolicyTests(SPEC_7_1, CASES, { policyName: 'site.spl', casesName: 'site.cases.yaml' });
    expect(report.cases.map((c) => [c.name, c.passed, c.diff])).toEqual([
      ['P3 atlas member', true, []],
      ['P4 pilot', true, []],
      ['P11 other issuer on the CE', true, []],
    ]);
    expect(report.passed).toBe(true);
    expect(renderPolicyTestReport(report)).toBe(
      'ok   P3 atlas member\nok   P4 pilot\nok   P11 other issuer on the CE\nsite.cases.yaml: 3 cases, 3 passed, 0 failed\n',
    );
  });

  it('reports a readable diff for wrong decision, obligations and rule line', () => {
    const cases = `
cases:
  - name: wrong everything
    request: { fqan: [/atlas/Role=pilot], resource: http://authz-interop.org/xacml/resource/resource-type/wn, action: http://glite.org/xacml/action/execute }
    expect: { decision: Permit, line: 16, obligations: [urn:x] }
  - name: missing obligation
    request: { fqan: [/atlas], resource: http://authz-interop.org/xacml/resource/resource-type/wn, action: http://glite.org/xacml/action/execute }
    expect: { decision: Permit }
  - name: wrong obligation attributes
    request: { fqan: [/atlas], resource: http://authz-interop.org/xacml/resource/resource-type/wn, action: http://glite.org/xacml/action/execute }
    expect:
      decision: Permit
      obligations: [{ id: http://glite.org/xacml/obligation/local-environment-map, attributes: { vo: atlas } }]
`;
    const report = runPolicyTests(SPEC_7_1, cases, { policyName: 'site.spl', casesName: 'c.yaml' });
    expect(report.passed).toBe(false);
    expect(report.cases.map((c) => c.diff)).toEqual([
      [
        'decision: expected Permit, got Deny (decided by site.spl:15 rule deny { pfqan="/atlas/Role=pilot" })',
        'obligations: expected [urn:x], got []',
        'deciding rule: expected line 16, got line 15',
      ],
      ['obligations: expected [], got [http://glite.org/xacml/obligation/local-environment-map]'],
      ['obligation http://glite.org/xacml/obligation/local-environment-map attributes: expected {"vo":"atlas"}, got {}'],
    ]);
    const text = renderPolicyTestReport(report);
    expect(text).toContain('FAIL wrong everything\n     decision: expected Permit, got Deny');
    expect(text).toContain('c.yaml: 3 cases, 0 passed, 3 failed — FAILED');
  });

  it('turns malformed cases into failing cases with the reason, not exceptions', () => {
    const cases = `
cases:
  - name: unknown attribute
    request: { role: x }
    expect: { decision: Deny }
  - name: bad fqan
    request: { fqan: [atlas] }
    expect: { decision: Deny }
  - name: bad decision
    expect: { decision: permit }
  - name: extra key
    request: {}
    expect: { decision: Deny, because: x }
  - just a string
`;
    const report = runPolicyTests(SPEC_7_1, cases);
    expect(report.cases.map((c) => [c.name, c.passed, c.diff[0]])).toEqual([
      ['unknown attribute', false, 'invalid case: request.role: not an SPL attribute short name'],
      ['bad fqan', false, expect.stringMatching(/^invalid case: request\.fqan: "atlas" FQAN must start with/)],
      ['bad decision', false, 'invalid case: expect.decision: must be one of Permit, Deny, NotApplicable, Indeterminate'],
      ['extra key', false, 'invalid case: expect.because: unknown key (decision, obligations, line)'],
      ['case #5', false, 'invalid case: a case must be a map with name, request and expect'],
    ]);
  });

  it('reports YAML errors, a missing cases list and an empty list as file errors', () => {
    expect(runPolicyTests(SPEC_7_1, 'cases: [').casesErrors[0]).toMatch(/^cases\.yaml: /);
    expect(runPolicyTests(SPEC_7_1, 'tests: []').casesErrors).toEqual(['cases.yaml: expected a map with a "cases" list']);
    const empty = runPolicyTests(SPEC_7_1, 'cases: []');
    expect(empty.passed).toBe(false);
    expect(empty.casesErrors).toEqual(['cases.yaml: no cases']);
  });

  it('fails every case when the policy does not compile, and shows the policy errors', () => {
    const report = runPolicyTests('resource "x" { action "y" { rule deny { role = x } } }', 'cases:\n  - name: a\n    expect: { decision: NotApplicable }\n', {
      policyName: 'bad.spl',
    });
    expect(report.passed).toBe(false);
    expect(report.cases[0]?.diff).toEqual(['policy does not compile']);
    expect(renderPolicyTestReport(report)).toMatch(/^bad\.spl:1:41: error: unknown attribute "role"/);
  });
});
