import { PoolAccounts1795400000000 } from './1795400000000-pool-accounts';
import { Leases1795400000001 } from './1795400000001-leases';
import { Bans1795400000002 } from './1795400000002-bans';
import { PolicyVersions1795400000003 } from './1795400000003-policy-versions';
import { DecisionRecords1795400000004 } from './1795400000004-decision-records';
import { AdminPrincipals1795400000005 } from './1795400000005-admin-principals';
import { ConfigGenerations1795400000006 } from './1795400000006-config-generations';

/** Every migration, oldest first. The schema changes only through these (synchronize is off). */
export const MIGRATIONS = [
  PoolAccounts1795400000000,
  Leases1795400000001,
  Bans1795400000002,
  PolicyVersions1795400000003,
  DecisionRecords1795400000004,
  AdminPrincipals1795400000005,
  ConfigGenerations1795400000006,
];
