export { Database } from './database/database';
export type { DatabaseOptions } from './database/database';
