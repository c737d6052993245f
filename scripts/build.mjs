// Compiles apps/, libs/ and migrations/ to dist/ with SWC: a full build takes well under a second, so
// `npm start` and `npx gridauthz` always run current code. Type checking is `npm run typecheck` (tsc).
// SWC keeps decorator metadata (NestJS injection needs it) and rewrites the @gridauthz/* path aliases.
import { transformFile } from '@swc/core';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const sourceDirs = ['apps', 'libs', 'migrations'];

async function* typescriptFiles(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return;
    throw err;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const swcOptions = (file) => ({
  filename: file,
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
    baseUrl: root,
    paths: { '@gridauthz/*': ['libs/*/index.ts'] },
  },
});

await rm(out, { recursive: true, force: true });
const jobs = [];
for (const dir of sourceDirs) {
  for await (const file of typescriptFiles(join(root, dir))) {
    jobs.push(
      transformFile(file, swcOptions(file)).then(async ({ code }) => {
        const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, code);
      }),
    );
  }
}
await Promise.all(jobs);
