import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The repository's own eslint.config.mjs on the fixtures in test/lint/fixtures, which that configuration ignores
// (they break its rules on purpose); `npm test` runs `eslint .`, so each rule shown firing here fails `npm test`.
const REPO = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'fixtures');

describe('the lint configuration of npm test (docs/architecture.md, "Import arrows the linter enforces")', () => {
  let results: Map<string, { ruleId: string | null; severity: number }[]>;

  beforeAll(async () => {
    const eslint = new ESLint({ cwd: REPO, ignore: false });
    const files = ['floating-promise.ts', 'non-exhaustive-switch.ts', 'strict-void-type.ts', 'spread-first.ts', 'clean.ts'];
    const linted = await eslint.lintFiles(files.map((f) => join(FIXTURES, f)));
    results = new Map(linted.map((r) => [r.filePath.slice(FIXTURES.length + 1), r.messages.map((m) => ({ ruleId: m.ruleId, severity: m.severity }))]));
  }, 120_000);

  it('is what npm test runs', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test']).toMatch(/(^|&& )eslint \.( |$)/);
  });

  it('refuses a floating promise', () => {
    expect(results.get('floating-promise.ts')).toEqual([{ ruleId: '@typescript-eslint/no-floating-promises', severity: 2 }]);
  });

  it('refuses a switch over a union that misses a member', () => {
    expect(results.get('non-exhaustive-switch.ts')).toEqual([{ ruleId: '@typescript-eslint/switch-exhaustiveness-check', severity: 2 }]);
  });

  it("applies typescript-eslint's strict set, not only recommended", () => {
    expect(results.get('strict-void-type.ts')).toEqual([{ ruleId: '@typescript-eslint/no-invalid-void-type', severity: 2 }]);
  });

  it('refuses an object literal that starts with a spread and goes on (a hidden class per call on Node 20)', () => {
    expect(results.get('spread-first.ts')).toEqual([{ ruleId: 'no-restricted-syntax', severity: 2 }]);
  });

  it('holds production code to that rule, not tests', async () => {
    const eslint = new ESLint({ cwd: REPO });
    const ruleFor = async (file: string): Promise<unknown> => ((await eslint.calculateConfigForFile(join(REPO, file))) as { rules: Record<string, unknown[]> }).rules['no-restricted-syntax']?.[0];
    for (const file of ['libs/decision/stages/record.ts', 'libs/protocols/saml2-xacml2/extract.ts', 'apps/server/pdp/request-caller.ts', 'apps/cli/main.ts']) expect(await ruleFor(file), file).toBe(2);
    expect(await ruleFor('libs/decision/decide.spec.ts')).not.toBe(2);
  });

  it('passes a file that breaks nothing (the fixtures fail for their one reason)', () => {
    expect(results.get('clean.ts')).toEqual([]);
  });

  it('turns the architecture rules on as errors for every lib and app file', async () => {
    const eslint = new ESLint({ cwd: REPO });
    for (const file of ['libs/decision/decide.ts', 'libs/protocols/index.ts', 'apps/server/pdp/pdp.module.ts']) {
      const config = (await eslint.calculateConfigForFile(join(REPO, file))) as { rules: Record<string, unknown[]> };
      expect(config.rules['gridauthz/architecture']?.[0], file).toBe(2);
      expect(config.rules['gridauthz/no-dialect-in-core']?.[0], file).toBe(2);
    }
  });
});
