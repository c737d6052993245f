export { Decider, DEADLINE_MESSAGE, DEADLINE_REASON } from './decide';
export type { Decided, DecideOptions, DecisionDeadline } from './decide';
export type { DecisionRecord } from './decision-record';
export type { DecisionConfiguration, DecisionDependencies, DecisionStorage, DecisionTransaction, HeldLease, SubjectVerifier, VerifiedSubject } from './ports';
export { InMemoryDecisionStorage } from './in-memory-storage';
export { hostOfDn, normalHost, requestHost } from './provenance';
export { DEFAULT_BAN_CLIENT_MESSAGE } from './decide';
