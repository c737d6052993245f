export { Decider } from './decide';
export type { Decided, DecideOptions } from './decide';
export type { DecisionRecord } from './decision-record';
export type { DecisionConfiguration, DecisionDependencies, DecisionStorage, DecisionTransaction, HeldLease, SubjectVerifier, VerifiedSubject } from './ports';
export { InMemoryDecisionStorage } from './in-memory-storage';
