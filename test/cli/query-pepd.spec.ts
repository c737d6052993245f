import { describe, expect, it } from 'vitest';
import { fixturePath, fixturePki } from '../support/fixtures';
import { runCli } from '../support/in-process-cli';

/** `gridauthz query --protocol pepd`: what it refuses before it connects (docs/pepd.md §6), exit 2 as for every protocol. */
describe('gridauthz query --protocol pepd: options', () => {
  const base = () => ['query', '--url', 'https://127.0.0.1:1/authz', '--capath', fixturePath(fixturePki().caDir), '--cert', fixturePath(fixturePki().proxies['pilot-voms']?.file ?? '')];
  const refusal = async (args: string[]) => {
    const r = await runCli([...base(), ...args]);
    return [r.error?.exitCode, r.error?.message];
  };

  it('needs exactly one of --proxy (key-info) and --subject (subject-id)', async () => {
    expect(await refusal(['--protocol', 'pepd'])).toEqual([2, '--protocol pepd needs either --proxy (key-info) or --subject (subject-id)']);
    expect((await refusal(['--protocol', 'pepd', '--subject', 'CN=A,DC=org', '--proxy', 'x']))[0]).toBe(2);
  });

  it('refuses a subject that is not an RFC 2253 DN, an FQAN that is not one, and --fqan without --subject', async () => {
    expect((await refusal(['--protocol', 'pepd', '--subject', '/DC=org/CN=A']))[1]).toMatch(/not an RFC 2253 DN/);
    expect((await refusal(['--protocol', 'pepd', '--subject', 'CN=A,DC=org', '--fqan', 'atlas']))[1]).toMatch(/not an FQAN/);
    expect((await refusal(['--protocol', 'pepd', '--proxy', fixturePath(fixturePki().proxies['alice-voms']?.file ?? ''), '--fqan', '/atlas']))[1]).toMatch(/--fqan goes with --subject/);
  });

  it('keeps the PEPd options to --protocol pepd, and --dialect away from it', async () => {
    expect((await refusal(['--protocol', 'xacml', '--proxy', 'x', '--subject', 'CN=A,DC=org']))[1]).toMatch(/apply to --protocol pepd only/);
    expect((await refusal(['--protocol', 'pepd', '--subject', 'CN=A,DC=org', '--dialect', 'grid-wn']))[1]).toMatch(/does not apply to --protocol pepd/);
  });

  it('exits 2 when the PEP daemon cannot be reached', async () => {
    const r = await runCli([...base(), '--protocol', 'pepd', '--subject', 'CN=A,DC=org']);
    expect(r.error?.exitCode).toBe(2);
    expect(r.error?.message).toMatch(/connection refused/);
  });
});
