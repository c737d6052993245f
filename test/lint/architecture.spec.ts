import { join } from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM module of the lint set-up, without type declarations
import { architectureRule } from '../../scripts/lint/architecture-rule.mjs';

const REPO = join(__dirname, '..', '..');

/** Lints one imaginary file at `path` (relative to the repository) with only the architecture rule. */
function problems(path: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { gridauthz: { rules: { architecture: architectureRule } } },
        rules: { 'gridauthz/architecture': 'error' },
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
});
