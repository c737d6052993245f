export { Database } from './database/database';
export type { DatabaseOptions } from './database/database';
export { GenerationWatcher } from './change/generation-watcher';
export type { ConfigTopic } from './change/generation-watcher';
export { PolicyVersionRepository } from './policy/policy-version-repository';
export type { PolicyVersion } from './policy/policy-version-repository';
export { insertDecisionRecord } from './decision/decision-record-repository';
export type { DecisionRecordRow } from './decision/decision-record-repository';
