import type { Command } from 'commander';
import { ConfigError, type Config, loadConfig, type LoadConfigOptions } from '../../server/config';
import { CliError } from '../cli-error';

export interface ConfigFlags {
  config?: string;
}

export const addConfigOption = (command: Command): Command =>
  command.option('-c, --config <file>', 'configuration file (default: $GRIDAUTHZ_CONFIG, else /etc/gridauthz/gridauthz.yaml if present)');

/** Loads configuration for a command; a bad value ends the command with exit code 78 (EX_CONFIG). */
export function configFor(flags: ConfigFlags, extra: Omit<LoadConfigOptions, 'file'> = {}): Config {
  try {
    return loadConfig({ file: flags.config, ...extra }).config;
  } catch (err) {
    // One line, every problem named: a service manager's status shows the last line only.
    if (err instanceof ConfigError) throw new CliError(`invalid configuration: ${err.problems.join('; ')}`, 78);
    throw err;
  }
}
