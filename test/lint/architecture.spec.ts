import { join } from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM module of the lint set-up, without type declarations
import { architectureRule, noDialectInCoreRule } from '../../scripts/lint/architecture-rule.mjs';

const REPO = join(__dirname, '..', '..');

/** Lints one imaginary file at `path` (relative to the repository) with only the two architecture rules. */
function problems(path: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { gridauthz: { rules: { architecture: architectureRule, 'no-dialect-in-core': noDialectInCoreRule } } },
        rules: { 'gridauthz/architecture': 'error', 'gridauthz/no-dialect-in-core': 'error' },
      },
    ],
    join(REPO, path),
  );
  return messages.map((m) => m.message);
}

describe('the architecture lint rule (docs/architecture.md, "Import arrows")', () => {
  it('refuses Nest in a lib', () => {
    expect(problems('libs/mapping/pool/x.ts', "import { Injectable } from '@nestjs/common';")).toEqual([
      expect.stringContaining('libs never import Nest'),
    ]);
  });

  it('refuses a relative import from one lib into another, and names the alias to use', () => {
    expect(problems('libs/decision/x.ts', "import { Pool } from '../mapping/pool/pool';")).toEqual([
      expect.stringContaining('relative import leaves libs/decision'),
    ]);
  });

  it('refuses an arrow that points outward (protocols → decision, domain → anything)', () => {
    expect(problems('libs/protocols/x.ts', "import { Decider } from '@gridauthz/decision';")).toHaveLength(1);
    expect(problems('libs/domain/x.ts', "import { Pool } from '@gridauthz/mapping';")).toHaveLength(1);
  });

  it('refuses typeorm and pg outside persistence, deep imports, and test kits in production code', () => {
    expect(problems('libs/mapping/x.ts', "import { DataSource } from 'typeorm';")).toHaveLength(1);
    expect(problems('libs/decision/x.ts', "import { x } from '@gridauthz/mapping/rule/plan';")).toHaveLength(1);
    expect(problems('libs/credentials/x.ts', "import { craft } from './chain/craft.testkit';")).toHaveLength(1);
    expect(problems('apps/server/x.ts', "import { Dn } from '../../libs/domain/name/dn';")).toHaveLength(1);
  });

  it('accepts the arrows the architecture draws', () => {
    expect(problems('libs/decision/x.ts', "import { evaluate } from '@gridauthz/policy';\nimport { Dn } from '@gridauthz/domain';")).toEqual([]);
    expect(problems('libs/persistence/x.ts', "import { DataSource } from 'typeorm';\nimport type { Decider } from '@gridauthz/decision';")).toEqual([]);
    expect(problems('libs/mapping/pool/x.ts', "import { Lease } from '../lease/lease';")).toEqual([]);
    expect(problems('apps/server/x.ts', "import { Decider } from '@gridauthz/decision';")).toEqual([]);
  });

  it('refuses every arrow the architecture does not draw, lib by lib (ALLOWED)', () => {
    const refused: [string, string][] = [
      ['protocols', 'decision'],
      ['protocols', 'persistence'],
      ['protocols', 'mapping'],
      ['protocols', 'policy'],
      ['credentials', 'protocols'],
      ['policy', 'mapping'],
      ['mapping', 'decision'],
      ['mapping', 'policy'],
      ['decision', 'persistence'],
      ['decision', 'protocols'],
      ['decision', 'credentials'],
      ['persistence', 'protocols'],
      ['dev-pki', 'protocols'],
    ];
    for (const [from, to] of refused) {
      expect(problems(`libs/${from}/x.ts`, `import { x } from '@gridauthz/${to}';`), `${from} → ${to}`).toEqual([
        expect.stringContaining(`libs/${from} may not import @gridauthz/${to}`),
      ]);
    }
  });

  it('refuses a production file that imports a test kit or test support, with or without the .ts extension', () => {
    expect(problems('libs/credentials/x.ts', "import { craft } from './chain/craft.testkit.ts';")).toEqual([expect.stringContaining('production code imports test code')]);
    expect(problems('libs/mapping/x.ts', "import { store } from './test-support/store';")).toEqual([expect.stringContaining('production code imports test code')]);
    expect(problems('apps/server/x.ts', "import { spawnDevServer } from '../../test/support/dev-server';")).toEqual([expect.stringContaining('production code imports test code')]);
    expect(problems('migrations/x.ts', "import { fixturePki } from '../test/support/fixtures';")).toEqual([expect.stringContaining('production code imports test code')]);
    // Tests may: that is what test kits are for.
    expect(problems('libs/credentials/chain/x.spec.ts', "import { makeProxy } from './craft.testkit';")).toEqual([]);
    expect(problems('test/server/x.spec.ts', "import { spawnDevServer } from '../support/dev-server';")).toEqual([]);
  });

  it('refuses a protocol dialect named in the decision core, as a value or a type, outside comments', () => {
    for (const lib of ['decision', 'mapping', 'policy']) {
      expect(problems(`libs/${lib}/x.ts`, "export const mapped = (d: string): boolean => d === 'grid-ce';"), lib).toEqual([
        expect.stringContaining(`libs/${lib} names the dialect 'grid-ce'`),
      ]);
    }
    expect(problems('libs/decision/x.ts', "export type D = 'authz-interop' | 'prima';")).toHaveLength(2);
    expect(problems('libs/decision/x.ts', 'export const d = `emi`;')).toHaveLength(1);
    expect(problems('libs/decision/x.ts', "export const d = new Set(['XACML', 'pepd', 'authzen', 'grid-wn']);")).toHaveLength(4);
  });

  it('lets the core mention a dialect in a comment, and lets codecs and tests name them', () => {
    expect(problems('libs/decision/x.ts', "// grid-ce clients switch identity\n/* 'emi' */\nexport const pool = 'pilot';")).toEqual([]);
    expect(problems('libs/protocols/x.ts', "export const dialect = 'grid-ce';")).toEqual([]);
    expect(problems('libs/decision/x.spec.ts', "export const dialect = 'grid-ce';")).toEqual([]);
    expect(problems('libs/decision/x.ts', "export const d = `${'a'}emi`;")).toEqual([]);
  });
});
