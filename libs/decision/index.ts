export { Decider, DEADLINE_MESSAGE, DEADLINE_REASON, DEFAULT_BAN_CLIENT_MESSAGE } from './decide';
export type { Decided, DecideOptions, DecisionDeadline } from './decide';
export type { DecisionRecord } from './decision-record';
export type { DecisionConfiguration, DecisionDependencies, DecisionStorage, DecisionTransaction, HeldLease, SubjectVerifier, TokenVerifier, VerifiedSubject } from './ports';
export { ACCOUNT_OBLIGATION_MODES, IMPLICIT_ACCOUNT_OBLIGATION } from './stages/obligations';
export type { AccountObligationMode } from './stages/obligations';
export { InMemoryDecisionStorage } from './in-memory-storage';
export { hostOfDn, normalHost, requestHost } from './provenance';
