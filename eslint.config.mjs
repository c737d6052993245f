// Lint for `npm test`: typescript-eslint's recommended rules, a few type-aware rules that catch real bugs in this
// code base (floating promises, non-exhaustive switches over unions), and the architecture's import arrows.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { architectureRule } from './scripts/lint/architecture-rule.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'var/**', 'test/.fixtures/**', '**/*.mjs', '**/*.js', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { gridauthz: { rules: { architecture: architectureRule } } },
    rules: {
      'gridauthz/architecture': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-control-regex': 'off', // control-character patterns are deliberate in the hardened parsers
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', '**/*.testkit.ts', '**/test-support/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
