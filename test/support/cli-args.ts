import { fixturePath, fixturePki } from './fixtures';
import type { TestServer } from './test-server';

// The command-line options that point a gridauthz CLI command at a test server's admin API as a fixture user.

/** `--cert`/`--key` of the fixture PKI user `name` (e.g. 'pilot', 'bob'). */
export function certArgs(name: string): string[] {
  const u = fixturePki().users[name];
  if (!u) throw new Error(name);
  return ['--cert', fixturePath(u.certFile), '--key', fixturePath(u.keyFile)];
}

/** `--url`/`--capath` of the test server's admin API, verified with the fixture CA. */
export function adminApiArgs(t: TestServer): string[] {
  return ['--url', t.server.adminUrl ?? '', '--capath', fixturePath(fixturePki().caDir)];
}
