// Lint for `npm test`: typescript-eslint's strict rules, a few type-aware rules that catch real bugs in this code base
// (floating promises, non-exhaustive switches over unions), the architecture's import arrows and the rule that the
// decision core names no protocol dialect (docs/architecture.md, "Import arrows the linter enforces"). test/lint/*
// proves each of them fails on a violating fixture.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { architectureRule, noDialectInCoreRule } from './scripts/lint/architecture-rule.mjs';

export default tseslint.config(
  // test/lint/fixtures break the rules on purpose; test/lint/*.spec.ts lints them with this configuration.
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'test/.fixtures/**', 'test/lint/fixtures/**', '**/*.mjs', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { gridauthz: { rules: { architecture: architectureRule, 'no-dialect-in-core': noDialectInCoreRule } } },
    rules: {
      'gridauthz/architecture': 'error',
      'gridauthz/no-dialect-in-core': 'error',
      // Nest modules are empty classes by design; the decorator is what makes them something.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-control-regex': 'off', // control-character patterns are deliberate in the hardened parsers
    },
  },
  {
    // Node 20's V8 gives an object literal that starts with a spread and goes on (`{ ...a, b }`, `{ ...a, ...b }`) a
    // hidden class of its own every time it runs, so every property read of such objects goes megamorphic and the maps
    // pile up for the garbage collector (docs/architecture.md, "Object literals on the request path"). Test code may.
    files: ['libs/**/*.ts', 'apps/**/*.ts', 'test/lint/fixtures/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.testkit.ts', '**/*.contract.ts', '**/test-support/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression[properties.length>1] > SpreadElement:first-child',
          message:
            'An object literal that starts with a spread and goes on gets a new hidden class each time on Node 20: name the fields, or put an own property first when no spread can override it (docs/architecture.md, "Object literals on the request path").',
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', '**/*.testkit.ts', '**/*.contract.ts', '**/test-support/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-dynamic-delete': 'off' },
  },
);
