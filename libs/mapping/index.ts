// Pools, accounts, groups
export { expandPool, expandPools, compareUsernames } from './pool/pool';
export type { ExpandedPool, PoolAccount, PoolDefinition, PoolKind, PoolMembers, UnixGroup } from './pool/pool';
export { isPoolEntry, argusPoolPrefix } from './pool/pool-membership';
export type { PoolMembershipRule } from './pool/pool-membership';
export type { Checked, Problem, ProblemFailure } from './problem';
export { describeProblem } from './problem';

// Rules and plans
export { ARGUS_SETTINGS, LCMAPS_SETTINGS, DEFAULT_MAPPING_SETTINGS } from './rule/mapping-rule';
export type { AccountTarget, MappingRule, MappingSettings, SubjectPattern, SubjectPatternKind } from './rule/mapping-rule';
export { SUBJECT_PATTERN_KINDS } from './rule/mapping-rule';
export { TOKEN_GROUP } from './rule/subject-matcher';
export { compileMappingConfig, reviewMappingChange } from './config/mapping-config';
export type { CompiledMappingConfig, MappingChangeReview, MappingConfig } from './config/mapping-config';
export { planMapping } from './rule/plan';
export type { MappingPlan, MappingSubject, PlanError, PlanTarget } from './rule/plan';
export { accountFor, leasePrepared, mapSubject, prepareMapping } from './map-subject';
export type { MappingOutcome, MapSubjectError, PreparedMapping } from './map-subject';

// Leases
export { buildSubjectKey, buildTokenSubjectKey, encodeTokenKeyPart, TOKEN_LEASE_KEY_PREFIX, decodeLeaseName, encodeLeaseDn, encodeLeaseDnText, encodeLeaseName, MAX_LEASE_NAME_BYTES } from './lease/lease-name';
export type { DecodedLeaseName, LeaseKeyConvention, LeaseKeyGroups } from './lease/lease-name';
export { LEASE_NAME_SETTINGS, leaseKeyConventionFor, leaseNameMismatch, type LeaseNameSetting } from './lease/lease-name';
export type { AcquireError, Lease, LeaseFilter, LeaseRecord, LeaseStore, LeaseUpsertError, LeaseUpsertSummary } from './lease/lease-store';
export { InMemoryLeaseStore } from './lease/in-memory-lease-store';
export { checkLeaseExpiryPolicy, DEFAULT_LEASE_EXPIRY, isLeaseExpired, leaseExpiryCutoff, leaseIdleThreshold } from './lease/lease-expiry';
export type { LeaseExpiryPolicy } from './lease/lease-expiry';

// Bans
export { BAN_KINDS, banMatches, banValueKey, checkBanDraft, describeBanTarget, findBan, isBanActive } from './ban/ban';
export type { Ban, BanDraft, BanKind, BanSubject } from './ban/ban';
export { InMemoryBanStore } from './ban/ban-store';
export type { BanStore, BanUpsertSummary } from './ban/ban-store';

// Pilots
export { checkPilotPool, findPilotRole, glexecUserWhiteList } from './pilot/pilot';
export type { MappingPurpose, PilotPoolCheck } from './pilot/pilot';
export type { PayloadCaller, PilotRole } from './pilot/pilot-role';

// Configuration store
export { InMemoryMappingConfigStore } from './config/mapping-config-store';
export type { ConfigWrite, MappingConfigStore } from './config/mapping-config-store';

// Import and export
export { importGridMapfile, importGroupMapfile, importLcmapsBanFile } from './mapfile/map-file-import';
export type { BanFileContext, MapFileImport, RuleImportContext } from './mapfile/map-file-import';
export type { MapFileSyntax } from './mapfile/map-file-lines';
export { importGridmapdir, planGridmapdirExport } from './gridmapdir/gridmapdir';
export type { GridmapdirEntry, GridmapdirExportInput, GridmapdirImport, GridmapdirImportOptions, GridmapdirLayout, GridmapdirPool, ImportedLease } from './gridmapdir/gridmapdir';
export { exportGridmapdirToDisk, importGridmapdirFromDisk, readGridmapdirEntries } from './gridmapdir/gridmapdir-fs';
export { exportGridMapfile, exportGroupMapfile, exportLcmapsBanFile } from './mapfile/map-file-export';

// Callers: who may ask what (pilot, trusted asserter, self)
export { CALLER_ROLES, CallerModel, parseCallerRole, parseUserWhiteList } from './caller/caller';
export type { CallerAuthority, CallerEntry, CallerRefusalCode, CallerRole, CallerSource, CallerVerdict, SubjectClaim, WhiteListItem } from './caller/caller';

// Token identities linked to a DN (docs/mapping-tokens.md)
export { checkTokenLink, TokenLinks } from './token/token-link';
export type { TokenLink, TokenLinkDraft } from './token/token-link';
