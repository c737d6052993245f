import { Dn } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { combinePolicySets } from './compile';
import { evaluate, describeMatch } from './evaluate';
import { parsePolicy } from './policy';
import { A_EXECUTE, GRID_CA, LOCAL_ENV_MAP, R_WN, SPEC_7_1, compileOrThrow, request } from './testing/fixtures';

const site = compileOrThrow(SPEC_7_1, 'site.spl');
const wn = { resource: R_WN, action: A_EXECUTE, issuers: [GRID_CA] };
const ALICE = '/DC=org/DC=example/CN=Alice';

describe('decision cases of policy-language.md §8 against the §7.1 policy', () => {
  it('P1: banned subject is denied by the first ban rule', () => {
    const d = evaluate(site, request({ ...wn, subject: 'CN=Mallory Banned,DC=example,DC=org', fqans: ['/atlas'] }));
    expect(d.decision).toBe('Deny');
    expect(d.obligations).toEqual([]);
    expect(d.matched).toMatchObject({ source: 'site.spl', line: 4, ruleIndex: 0, policyId: 'site.spl:3', policySetId: 'site.spl:2' });
  });

  it('P2: ban matches a DN that differs only in case', () => {
    const d = evaluate(site, request({ ...wn, subject: 'CN=mallory banned,DC=example,DC=org', fqans: ['/atlas'] }));
    expect(d.decision).toBe('Deny');
    expect(d.matched?.line).toBe(4);
  });

  it('P3: plain atlas member is permitted with local-environment-map', () => {
    const d = evaluate(site, request({ ...wn, subject: ALICE, fqans: ['/atlas/Role=NULL/Capability=NULL'] }));
    expect(d.decision).toBe('Permit');
    expect(d.obligations.map((o) => o.id)).toEqual([LOCAL_ENV_MAP]);
    expect(d.matched?.text).toBe('rule permit { pfqan="/atlas" }');
    expect(d.matched?.line).toBe(16);
  });

  it('P4: pilot role is denied because the deny precedes the permits', () => {
    const d = evaluate(site, request({ ...wn, subject: ALICE, fqans: ['/atlas/Role=pilot/Capability=NULL'] }));
    expect(d.decision).toBe('Deny');
    expect(d.obligations).toEqual([]);
    expect(d.matched?.line).toBe(15);
  });

  it('P5: atlas role without a WN rule is NotApplicable (the CE block does not match the WN resource)', () => {
    const d = evaluate(site, request({ ...wn, subject: ALICE, fqans: ['/atlas/Role=lcgadmin/Capability=NULL'], vo: ['atlas'] }));
    expect(d).toEqual({ decision: 'NotApplicable', obligations: [] });
  });

  it('P6: fqan tests the whole bag, so a banned secondary FQAN denies anywhere', () => {
    for (const resource of [R_WN, 'http://example.org/ce/ce01', 'urn:anything']) {
      const d = evaluate(
        site,
        request({ subject: ALICE, fqans: ['/atlas/Role=NULL/Capability=NULL', '/atlas/Role=hacker/Capability=NULL'], resource, action: 'x' }),
      );
      expect(d.decision).toBe('Deny');
      expect(d.matched?.line).toBe(5);
    }
  });

  it('P7: subgroup primary FQAN matches its own rule', () => {
    const d = evaluate(site, request({ ...wn, subject: ALICE, fqans: ['/atlas/de/Role=NULL/Capability=NULL'] }));
    expect(d.decision).toBe('Permit');
    expect(d.obligations.map((o) => o.id)).toEqual([LOCAL_ENV_MAP]);
    expect(d.matched?.line).toBe(18);
  });

  it('P8: plain proxy without VOMS attributes is NotApplicable', () => {
    const d = evaluate(site, request({ ...wn, subject: '/DC=org/DC=example/CN=Bob' }));
    expect(d.decision).toBe('NotApplicable');
  });

  it('P9: dteam member is permitted by vo', () => {
    const d = evaluate(site, request({ ...wn, subject: '/DC=org/DC=example/CN=Carol', vo: ['dteam'], fqans: ['/dteam/Role=NULL/Capability=NULL'] }));
    expect(d.decision).toBe('Permit');
    expect(d.matched?.text).toBe('rule permit { vo="dteam" }');
  });

  const ce = { resource: 'http://example.org/ce/ce01', action: 'http://glite.org/xacml/action/ce/job/submit' };
  it('P10: CE rule needs both vo and issuer; both present gives Permit with obligation', () => {
    const d = evaluate(site, request({ ...ce, subject: ALICE, vo: ['atlas'], fqans: ['/atlas/Role=NULL/Capability=NULL'], issuers: [GRID_CA] }));
    expect(d.decision).toBe('Permit');
    expect(d.obligations.map((o) => o.id)).toEqual([LOCAL_ENV_MAP]);
    expect(d.matched?.line).toBe(29);
  });

  it('P11: as P10 with another issuer is NotApplicable', () => {
    const d = evaluate(site, request({ ...ce, subject: ALICE, vo: ['atlas'], fqans: ['/atlas/Role=NULL/Capability=NULL'], issuers: ['CN=Other CA,O=Other,C=YY'] }));
    expect(d.decision).toBe('NotApplicable');
  });

  it('P12: subject issued by the compromised CA is denied on any resource', () => {
    for (const resource of [R_WN, 'http://example.org/ce/ce01', 'urn:x']) {
      const d = evaluate(site, request({ subject: '/DC=org/CN=Dave', issuers: ['CN=Root,O=Example,C=XX', 'CN=Compromised CA,O=Example,C=XX'], fqans: ['/atlas'], resource, action: 'a' }));
      expect(d.decision).toBe('Deny');
      expect(d.matched?.line).toBe(6);
    }
  });

  it('P13: pfqan="/atlas/*" is an exact (literal) FQAN, not a wildcard: NotApplicable', () => {
    const changed = SPEC_7_1.replace('rule permit { pfqan = "/atlas" }', 'rule permit { pfqan = "/atlas/*" }');
    const parsed = parsePolicy(changed, 'p13.spl');
    if (!parsed.ok) throw new Error('P13 policy must compile');
    expect(parsed.warnings.some((w) => w.code === 'POLICY_NEVER_MATCHES' && w.line === 16)).toBe(true);
    const d = evaluate(parsed.value, request({ ...wn, subject: ALICE, fqans: ['/atlas/Role=NULL/Capability=NULL'] }));
    expect(d.decision).toBe('NotApplicable');
  });
});

describe('first-applicable evaluation (§6.2)', () => {
  it('continues with the next action block and the next resource block when nothing applies', () => {
    const set = compileOrThrow(`
resource "r" {
    action "a" { rule permit { vo = x } }
    action "a" { rule deny { vo = y } }
}
resource "r" {
    action ".*" { rule permit { vo = y } }
    action ".*" { rule permit { vo = z } }
}
`);
    expect(evaluate(set, request({ resource: 'r', action: 'a', vo: ['y'] })).matched?.line).toBe(4);
    expect(evaluate(set, request({ resource: 'r', action: 'b', vo: ['y'] })).decision).toBe('Permit');
    expect(evaluate(set, request({ resource: 'r', action: 'b', vo: ['z'] })).matched?.line).toBe(8);
    expect(evaluate(set, request({ resource: 'r', action: 'b', vo: ['q'] })).decision).toBe('NotApplicable');
  });

  it('ANDs the attributes of one rule: two fqan lines need both FQANs', () => {
    const set = compileOrThrow('resource ".*" { action ".*" { rule permit { fqan = "/a" fqan = "/b" } } }');
    const base = { resource: 'r', action: 'a' };
    expect(evaluate(set, request({ ...base, fqans: ['/a'] })).decision).toBe('NotApplicable');
    expect(evaluate(set, request({ ...base, fqans: ['/b', '/a'] })).decision).toBe('Permit');
  });

  it('misses when the request lacks resource or action (no MustBePresent)', () => {
    const set = compileOrThrow('resource ".*" { action ".*" { rule permit { vo = x } } }');
    expect(evaluate(set, request({ vo: ['x'], action: 'a' })).decision).toBe('NotApplicable');
    expect(evaluate(set, request({ vo: ['x'], resource: 'r' })).decision).toBe('NotApplicable');
    expect(evaluate(set, request({ vo: ['x'], resource: '', action: '' })).decision).toBe('Permit');
  });

  it('returns resource then action obligations, with their attributes, on Permit only', () => {
    const set = compileOrThrow(`
resource ".*" {
    obligation "urn:o:resource" { subject = "/DC=org/CN=Site Admin" }
    action ".*" {
        obligation "urn:o:action" { vo = "atlas" pfqan = "/atlas/Role=pilot" }
        obligation "urn:o:empty" {}
        rule deny { vo = bad }
        rule permit { vo = atlas }
    }
}
`);
    const permit = evaluate(set, request({ resource: 'r', action: 'a', vo: ['atlas'] }));
    expect(permit.obligations).toEqual([
      {
        id: 'urn:o:resource',
        attributes: [
          { id: 'urn:oasis:names:tc:xacml:1.0:subject:subject-id', name: 'subject', dataType: 'urn:oasis:names:tc:xacml:1.0:data-type:x500Name', value: 'CN=Site Admin,DC=org' },
        ],
      },
      {
        id: 'urn:o:action',
        attributes: [
          { id: 'http://glite.org/xacml/attribute/virtual-organization', name: 'vo', dataType: 'http://www.w3.org/2001/XMLSchema#string', value: 'atlas' },
          { id: 'http://glite.org/xacml/attribute/fqan/primary', name: 'pfqan', dataType: 'http://glite.org/xacml/datatype/fqan', value: '/atlas/Role=pilot' },
        ],
      },
      { id: 'urn:o:empty', attributes: [] },
    ]);
    expect(evaluate(set, request({ resource: 'r', action: 'a', vo: ['bad'] })).obligations).toEqual([]);
  });

  it('regex matching is anchored and applies to the trimmed request value (§12.6)', () => {
    const set = compileOrThrow('resource "http://example[.]org/ce" { action "submit|cancel" { rule permit { vo = x } } }');
    const ok = (resource: string, action: string) => evaluate(set, request({ resource, action, vo: ['x'] })).decision;
    expect(ok('http://example.org/ce', 'submit')).toBe('Permit');
    expect(ok('  http://example.org/ce\n', ' cancel ')).toBe('Permit');
    expect(ok('http://example.org/ce/extra', 'submit')).toBe('NotApplicable');
    expect(ok('xhttp://example.org/ce', 'submit')).toBe('NotApplicable');
    expect(ok('http://example.org/ce', 'submitx')).toBe('NotApplicable');
  });

  it('DN equality ignores case and blanks between RDNs (§12.7) and accepts both renderings', () => {
    const set = compileOrThrow('resource ".*" { action ".*" { rule deny { subject = "CN=Jane Doe, O=Example ,C=XX" } } }');
    for (const subject of ['CN=jane doe,O=example,C=xx', '/C=XX/O=Example/CN=Jane Doe', 'cn=Jane  Doe,o=Example,c=XX']) {
      expect(evaluate(set, request({ subject, resource: 'r', action: 'a' })).decision).toBe('Deny');
    }
    expect(evaluate(set, request({ subject: 'CN=Jane Doe,O=Example,C=YY', resource: 'r', action: 'a' })).decision).toBe('NotApplicable');
  });

  it('subject matching agrees with Dn.equals for every pair of DN spellings', () => {
    const spellings = [
      'CN=Jane Doe,O=Example,C=XX',
      '/C=XX/O=Example/CN=Jane Doe',
      'cn=JANE DOE, o=example, c=xx',
      'CN=Jane Doe,O=Example,C=YY',
      'CN=Jane Doe+UID=jd,O=Example,C=XX',
      'UID=jd+CN=Jane Doe,O=Example,C=XX',
      '/DC=org/DC=example/CN=Robot: ce.example.org',
      'CN=Robot: ce.example.org,DC=example,DC=org',
      'E=jane@example.org,CN=Jane Doe,O=Example,C=XX',
      'EMAILADDRESS=jane@example.org,CN=Jane Doe,O=Example,C=XX',
    ];
    for (const policyDn of spellings) {
      const set = compileOrThrow(`resource ".*" { action ".*" { rule deny { subject = "${policyDn}" } } }`);
      for (const requestDn of spellings) {
        const expected = Dn.parse(policyDn).equals(Dn.parse(requestDn)) ? 'Deny' : 'NotApplicable';
        expect(evaluate(set, request({ subject: requestDn, resource: 'r', action: 'a' })).decision, `${policyDn} vs ${requestDn}`).toBe(expected);
      }
    }
  });

  it('emi-resource-owner in a rule makes a request carrying it Indeterminate (§12.8), and stops the search', () => {
    const set = compileOrThrow(`
resource ".*" {
    action ".*" {
        rule deny { emi-resource-owner = "CN=Owner,O=Example" }
        rule permit { vo = x }
    }
}`);
    const carrying = evaluate(set, request({ resource: 'r', action: 'a', vo: ['x'], attributes: { 'emi-resource-owner': ['CN=Owner,O=Example'] } }));
    expect(carrying.decision).toBe('Indeterminate');
    expect(carrying.matched?.line).toBe(4);
    expect(evaluate(set, request({ resource: 'r', action: 'a', vo: ['x'] })).decision).toBe('Permit');
  });

  it('an unparsable DN in a generic DN bag is Indeterminate, but a failing sibling match wins (XACML AND)', () => {
    const set = compileOrThrow(`
resource ".*" {
    action ".*" {
        rule permit { vo = x x509-subject-issuer = "CN=CA,O=Example" }
    }
}`);
    const bad = { 'x509-subject-issuer': ['not a dn'] };
    expect(evaluate(set, request({ resource: 'r', action: 'a', vo: ['x'], attributes: bad })).decision).toBe('Indeterminate');
    expect(evaluate(set, request({ resource: 'r', action: 'a', vo: ['y'], attributes: bad })).decision).toBe('NotApplicable');
    expect(evaluate(set, request({ resource: 'r', action: 'a', vo: ['x'], attributes: { 'x509-subject-issuer': ['/O=Example/CN=CA'] } })).decision).toBe('Permit');
  });

  it('matches generic string bags exactly and regexp bags anchored', () => {
    const set = compileOrThrow(`
resource ".*" {
    action ".*" {
        rule permit { oidc-group = "/wlcg/pilots" x509-authn-profile = "policy-(classic|mics)" }
        rule permit { pilot-classifier = "Pilot" }
    }
}`);
    const ev = (attributes: Record<string, string[]>) => evaluate(set, request({ resource: 'r', action: 'a', attributes })).decision;
    expect(ev({ 'oidc-group': ['/other', '/wlcg/pilots'], 'x509-authn-profile': ['policy-mics'] })).toBe('Permit');
    expect(ev({ 'oidc-group': ['/wlcg/pilots'], 'x509-authn-profile': ['policy-micsx'] })).toBe('NotApplicable');
    expect(ev({ 'oidc-group': ['/WLCG/pilots'], 'x509-authn-profile': ['policy-mics'] })).toBe('NotApplicable');
    expect(ev({ 'pilot-classifier': ['Pilot'] })).toBe('Permit');
    expect(ev({ 'pilot-classifier': ['pilot'] })).toBe('NotApplicable');
  });

  it('describeMatch names the file, line and rule for audit records', () => {
    const d = evaluate(site, request({ ...wn, subject: ALICE, fqans: ['/atlas/Role=pilot'] }));
    expect(d.matched && describeMatch(d.matched)).toBe('site.spl:15 rule deny { pfqan="/atlas/Role=pilot" }');
  });

  it('the compiled policy set is deeply frozen', () => {
    expect(Object.isFrozen(site)).toBe(true);
    expect(Object.isFrozen(site.resources[1]?.actions[0]?.rules)).toBe(true);
    expect(Object.isFrozen(site.sources[0]?.document.items[0])).toBe(true);
    expect(() => (site.resources as unknown as unknown[]).push({})).toThrow(TypeError);
  });
});

describe('several policy sources (PAP ordering, §6.2.4)', () => {
  it('the first source with Permit/Deny wins, so a central ban list ordered first beats a local permit', () => {
    const bans = compileOrThrow('resource ".*" { action ".*" { rule deny { pfqan = "/atlas" } } }\n', 'central.spl');
    const local = compileOrThrow('resource ".*" { action ".*" { rule permit { vo = atlas } } }\n', 'local.spl');
    const req = request({ resource: 'r', action: 'a', vo: ['atlas'], fqans: ['/atlas'] });
    const centralFirst = combinePolicySets([bans, local]);
    expect(evaluate(centralFirst, req).matched?.source).toBe('central.spl');
    expect(evaluate(centralFirst, req).decision).toBe('Deny');
    expect(evaluate(combinePolicySets([local, bans]), req).decision).toBe('Permit');
    // Not banned: the ban source is NotApplicable and the local source decides.
    expect(evaluate(centralFirst, request({ resource: 'r', action: 'a', vo: ['atlas'], fqans: ['/cms'] })).matched?.source).toBe('local.spl');
    expect(centralFirst.sources.map((s) => s.name)).toEqual(['central.spl', 'local.spl']);
    expect(centralFirst.ruleCount).toBe(2);
  });
});

describe('performance', () => {
  it('evaluates a 1,000-rule policy quickly (precompiled matchers)', () => {
    const rules: string[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const kind = i % 4;
      if (kind === 0) rules.push(`rule deny { subject = "/DC=org/DC=example/CN=User ${i}" }`);
      else if (kind === 1) rules.push(`rule permit { pfqan = "/vo${i}/Role=production" }`);
      else if (kind === 2) rules.push(`rule permit { vo = "vo${i}" subject-issuer = "CN=CA ${i},O=Example" }`);
      else rules.push(`rule permit { fqan = "/vo${i}/group" x509-authn-profile = "policy-[a-z]+-${i}" }`);
    }
    const set = compileOrThrow(`resource "http://example[.]org/.*" {\n action ".*" {\n${rules.join('\n')}\n }\n}\n`);
    expect(set.ruleCount).toBe(1000);
    const miss = request({ subject: '/DC=org/DC=example/CN=Nobody', issuers: ['CN=CA 1,O=Example'], fqans: ['/none'], vo: ['none'], resource: 'http://example.org/x', action: 'a' });
    expect(evaluate(set, miss).decision).toBe('NotApplicable');
    const iterations = 2000;
    const start = performance.now();
    for (let i = 0; i < iterations; i += 1) evaluate(set, miss);
    const perEval = (performance.now() - start) / iterations;
    // Full scan of 1,000 rules; generous bound so slow CI machines pass, but per-request parsing would blow it.
    expect(perEval).toBeLessThan(2);
    const last = request({ subject: '/DC=org/DC=example/CN=User 996', resource: 'http://example.org/x', action: 'a' });
    expect(evaluate(set, last).matched?.ruleIndex).toBe(996);
  });
});
