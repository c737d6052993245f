import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TestStorage } from '../../support/test-database';

const REPO = resolve(__dirname, '..', '..', '..');
const CLI = join(REPO, 'bin', 'gridauthz.js');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `gridauthz <args>` against the test storage: DATABASE_URL on PostgreSQL, GRIDAUTHZ_DATA_DIR on PGlite. */
export function runCli(storage: TestStorage, args: readonly string[]): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, GRIDAUTHZ_DATA_DIR: storage.dataDir };
  delete env.GRIDAUTHZ_CONFIG;
  if (storage.url) env.DATABASE_URL = storage.url;
  else delete env.DATABASE_URL;
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd: REPO }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}
