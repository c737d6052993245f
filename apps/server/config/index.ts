export { ConfigError, DEFAULT_CONFIG_FILE, checkServeFiles, loadConfig } from './load-config';
export type { LoadConfigOptions } from './load-config';
export { SETTINGS } from './settings';
export type { Config } from './settings';
