/**
 * The shipped policies must stay valid, lint-clean, round-trip through the printer and pass their own
 * decision tests (<name>.cases.yaml next to each <name>.spl).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPolicy, parsePolicyDocument, printPolicy, renderPolicyTestReport, runPolicyTests, withoutPositions } from '@gridauthz/policy';

const ROOT = __dirname;

export function shippedPolicyFiles(): string[] {
  const top = readdirSync(ROOT).filter((f) => f.endsWith('.spl'));
  const examples = readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.spl'))
    .map((f) => join('examples', f));
  return [...top, ...examples];
}

const files = shippedPolicyFiles();

describe('shipped policies', () => {
  it('ships site.spl and at least four examples', () => {
    expect(files).toContain('site.spl');
    expect(files.filter((f) => f.startsWith('examples')).length).toBeGreaterThanOrEqual(4);
  });

  describe.each(files)('%s', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');

    it('lints clean (no errors, no warnings)', () => {
      expect(lintPolicy(text, file)).toEqual([]);
    });

    it('round-trips through the canonical printer (AST equality ignoring positions)', () => {
      const parsed = parsePolicyDocument(text, file);
      if (!parsed.ok) throw new Error(parsed.error.detail);
      const printed = printPolicy(parsed.value);
      const reparsed = parsePolicyDocument(printed, file);
      if (!reparsed.ok) throw new Error(`printed form does not parse: ${reparsed.error.detail}\n${printed}`);
      expect(withoutPositions(reparsed.value)).toEqual(withoutPositions(parsed.value));
    });

    it('passes its decision test cases', () => {
      const casesFile = file.replace(/\.spl$/, '.cases.yaml');
      const report = runPolicyTests(text, readFileSync(join(ROOT, casesFile), 'utf8'), { policyName: file, casesName: casesFile });
      expect(report.cases.length).toBeGreaterThan(0);
      expect(report.passed, renderPolicyTestReport(report)).toBe(true);
    });
  });
});
