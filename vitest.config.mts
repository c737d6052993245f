import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC rather than esbuild: NestJS constructor injection needs emitDecoratorMetadata.
export default defineConfig({
  plugins: [swc.vite({ jsc: { target: 'es2022', transform: { legacyDecorator: true, decoratorMetadata: true } } })],
  resolve: {
    alias: [{ find: /^@gridauthz\/(.*)$/, replacement: resolve(import.meta.dirname, 'libs/$1/index.ts') }],
  },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts', 'policies/**/*.spec.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on a 2-core box is one worker, and most suites wait on spawned servers, CLIs and the
    // database rather than on a core: three workers took the PGlite run from 487 s to 299 s, all passing.
    maxWorkers: 3,
    // Test files share a worker's module cache instead of each importing the world afresh (import time was about a
    // third of the run); on a slow 2-core box this took the PGlite run from 524 s to 374 s. No test relies on fresh
    // module state (the whole suite passes this way on both databases); a test that needs it must reset it itself.
    isolate: false,
  },
});
