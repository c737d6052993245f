export { Database } from './database/database';
export type { DatabaseOptions } from './database/database';
export { GenerationWatcher } from './change/generation-watcher';
export type { ConfigTopic } from './change/generation-watcher';
export { PostgresLeaseStore } from './mapping/postgres-lease-store';
export type { PostgresLeaseStoreOptions } from './mapping/postgres-lease-store';
export { PostgresBanStore } from './mapping/postgres-ban-store';
export type { PostgresBanStoreOptions } from './mapping/postgres-ban-store';
export { PostgresMappingConfigStore } from './mapping/postgres-mapping-config-store';
