import { Command } from 'commander';
import { vi } from 'vitest';
import { registerCommands } from '../../apps/cli/commands';
import { CliError } from '../../apps/cli/cli-error';

// Runs the gridauthz CLI in this process (no build, no child) and captures what it prints, for tests of the admin verbs.

/** Parses `args` as `gridauthz <args>`; a CliError (a refusal the CLI reports) comes back as `error`, anything else is thrown. */
export async function runCli(args: readonly string[]): Promise<{ stdout: string; error?: CliError }> {
  const program = new Command('gridauthz').exitOverride();
  registerCommands(program);
  let stdout = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    await program.parseAsync(['node', 'gridauthz', ...args]);
    return { stdout };
  } catch (err) {
    if (err instanceof CliError) return { stdout, error: err };
    throw err;
  } finally {
    spy.mockRestore();
  }
}

/** As runCli, for commands expected to succeed: returns what was printed and throws any error, a CliError included. */
export async function runCliOrThrow(args: readonly string[]): Promise<string> {
  const { stdout, error } = await runCli(args);
  if (error) throw error;
  return stdout;
}
