import { describe, expect, it } from 'vitest';
import { withoutPositions } from './ast';
import { parsePolicyDocument } from './policy';
import { printPolicy } from './printer';
import { SPEC_7_1 } from './testing/fixtures';

function doc(text: string) {
  const r = parsePolicyDocument(text, 't.spl');
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

describe('canonical printer (§6.4)', () => {
  it('prints the canonical form: 4-space indent, one-line single-attribute rules, private on its own line', () => {
    const printed = printPolicy(
      doc(`resource '.*' { description 'd' obligation "o" {} obligation "p" { vo = a }
private action x { rule deny { subject = "/DC=org/CN=x" } rule permit { vo = atlas
pfqan = "/atlas" } } }`),
    );
    expect(printed).toBe(`resource ".*" {
    description "d"
    obligation "o" {}
    obligation "p" {
        vo="a"
    }
    private
    action "x" {
        rule deny { subject="/DC=org/CN=x" }
        rule permit {
            vo="atlas"
            pfqan="/atlas"
        }
    }
}
`);
  });

  it('round-trips the §7.1 policy, apf fragments and awkward values (AST equality without positions)', () => {
    const texts = [
      SPEC_7_1,
      'action "submit" { rule permit { vo = cms } }\nprivate action "debug" { rule permit { subject = "CN=Site Admin,O=Example,C=XX" } }\n',
      `resource 'say "hi"' { action "x\\"y\\\\" { rule deny { "action" = 'it\\'s' 'resource' = "\\101" } } }`,
      'resource "a#b" { action "" { rule deny { vo = "" } } }',
    ];
    for (const text of texts) {
      const before = doc(text);
      const printed = printPolicy(before);
      expect(withoutPositions(doc(printed))).toEqual(withoutPositions(before));
      // Printing is a fixed point.
      expect(printPolicy(doc(printed))).toBe(printed);
    }
  });

  it('quotes action/resource ids so the output parses (§12.4)', () => {
    expect(printPolicy(doc('resource "r" { action "a" { rule deny { "action" = "x" } } }'))).toContain('rule deny { "action"="x" }');
  });
});
