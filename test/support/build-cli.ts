import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
const ENTRY = join(REPO, 'dist', 'apps', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ with scripts/build.mjs when a source is newer than the built CLI. Not unconditionally: the build
 * empties dist/ first, which would pull the CLI from under another test file running it (`npm test` builds first).
 */
export function buildCliIfStale(): void {
  let built: number;
  try {
    built = statSync(ENTRY).mtimeMs;
  } catch {
    built = 0;
  }
  const newest = Math.max(...['apps', 'libs', 'migrations'].map((d) => newestSource(join(REPO, d))));
  if (newest > built) execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
