import type { Command } from 'commander';

/** Every command module registers itself on the root program; add one line per module. */
export function registerCommands(program: Command): void {
  void program;
}
