import { PoolAccounts1795400000000 } from './1795400000000-pool-accounts';
import { Leases1795400000001 } from './1795400000001-leases';
import { Bans1795400000002 } from './1795400000002-bans';
import { PolicyVersions1795400000003 } from './1795400000003-policy-versions';
import { DecisionRecords1795400000004 } from './1795400000004-decision-records';
import { AdminPrincipals1795400000005 } from './1795400000005-admin-principals';
import { ConfigGenerations1795400000006 } from './1795400000006-config-generations';
import { LeaseSubjectDnOptional1795400000007 } from './1795400000007-lease-subject-dn-optional';
import { PoolAccountByteOrder1795400000008 } from './1795400000008-pool-account-byte-order';
import { MappingRules1795400000009 } from './1795400000009-mapping-rules';
import { PilotRoles1795400000010 } from './1795400000010-pilot-roles';
import { PayloadCallers1795400000011 } from './1795400000011-payload-callers';
import { MappingConfigGeneration1795400000012 } from './1795400000012-mapping-config-generation';
import { AdminTokens1795400000020 } from './1795400000020-admin-tokens';
import { AdminAudit1795400000021 } from './1795400000021-admin-audit';
import { LeaseAcquireFunction1795400000022 } from './1795400000022-lease-acquire-function';
import { LiveLeaseSubjectKeyIndex1795400000023 } from './1795400000023-live-lease-subject-key-index';
import { Callers1795400000100 } from './1795400000100-callers';
import { LiveLeaseLastUsedIndex1795400000110 } from './1795400000110-live-lease-last-used-index';
import { DnKeys1795400000130 } from './1795400000130-dn-keys';
import { DecisionProvenance1795400000150 } from './1795400000150-decision-provenance';
import { RecordGuards1795400000151 } from './1795400000151-record-guards';
import { AdminAuditChannel1795400000160 } from './1795400000160-admin-audit-channel';
import { TokenIdentities1795400000200 } from './1795400000200-token-identities';

/** Every migration, oldest first. The schema changes only through these (synchronize is off). */
export const MIGRATIONS = [
  PoolAccounts1795400000000,
  Leases1795400000001,
  Bans1795400000002,
  PolicyVersions1795400000003,
  DecisionRecords1795400000004,
  AdminPrincipals1795400000005,
  ConfigGenerations1795400000006,
  LeaseSubjectDnOptional1795400000007,
  PoolAccountByteOrder1795400000008,
  MappingRules1795400000009,
  PilotRoles1795400000010,
  PayloadCallers1795400000011,
  MappingConfigGeneration1795400000012,
  AdminTokens1795400000020,
  AdminAudit1795400000021,
  LeaseAcquireFunction1795400000022,
  LiveLeaseSubjectKeyIndex1795400000023,
  Callers1795400000100,
  LiveLeaseLastUsedIndex1795400000110,
  DnKeys1795400000130,
  DecisionProvenance1795400000150,
  RecordGuards1795400000151,
  AdminAuditChannel1795400000160,
  TokenIdentities1795400000200,
];
