import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Decider, type SubjectVerifier } from '@gridauthz/decision';
import { Dn } from '@gridauthz/domain';
import { ARGUS_SETTINGS, describeProblem, LCMAPS_SETTINGS, type MappingConfig, type MappingConfigStore } from '@gridauthz/mapping';
import { type Database, GenerationWatcher, PolicyVersionRepository, PostgresBanStore, PostgresMappingConfigStore } from '@gridauthz/persistence';
import type { Config } from '../config';
import type { ReadinessCheck } from '../management/readiness';
import { databaseDecisionStorage } from './decision-storage';
import { SiteConfiguration, type SiteStores } from './site-configuration';

export interface TransactionStores {
  readonly policies: PolicyVersionRepository;
  readonly mapping: PostgresMappingConfigStore;
  readonly bans: PostgresBanStore;
}

export interface SiteRuntime {
  readonly decider: Decider;
  readonly stores: SiteStores;
  /** The same stores bound to a caller's transaction: an admin change writes through these and its audit row commits with it. */
  storesIn(manager: EntityManager): TransactionStores;
  readonly configuration: SiteConfiguration;
  readonly readiness: readonly ReadinessCheck[];
  /** Polls the change feed now (tests; after this process changed something itself). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** How often every replica looks for new bans, policy or mapping configuration (well under the 1 s promise). */
export const SITE_POLL_MS = 250;

/**
 * Everything a decision needs once the database is open: the stores, the site configuration snapshot kept
 * current by the change feed, and the decision pipeline over them.
 */
export async function startSite(options: {
  db: Database;
  config: Config;
  log: Logger;
  verifier: SubjectVerifier;
  /** Written when the database holds no pools yet (development site, tests). */
  seedMapping?: MappingConfig;
}): Promise<SiteRuntime> {
  const { db, config, log } = options;
  const settings = config.mapping.conventions === 'lcmaps' ? LCMAPS_SETTINGS : ARGUS_SETTINGS;
  const stores = {
    policies: new PolicyVersionRepository(db),
    mapping: new PostgresMappingConfigStore(db, settings),
    bans: new PostgresBanStore(db),
  };
  if (options.seedMapping && (await stores.mapping.load()).pools.length === 0) await seed(stores.mapping, options.seedMapping, log);
  const trustedAsserters = config.pdp.trustedAsserters.map((text) => Dn.parse(text));
  const configuration = new SiteConfiguration(stores, settings, trustedAsserters, log.child({ component: 'site' }));
  await configuration.bootstrapPolicy(config.policy.dir);
  await configuration.reload();
  const watcher = new GenerationWatcher(db, (topics) => configuration.reload(topics), log.child({ component: 'change-feed' }), SITE_POLL_MS);
  // Expiry needs no reload: every decision checks each ban against its own time.
  await watcher.start();

  const decider = new Decider({
    verifier: options.verifier,
    configuration,
    storage: databaseDecisionStorage(db),
    newId: randomUUID,
    monotonicMs: () => performance.now(),
    log: log.child({ component: 'decision' }),
  });
  return {
    decider,
    stores,
    storesIn: (manager) => ({
      policies: new PolicyVersionRepository(manager),
      mapping: new PostgresMappingConfigStore(manager, settings),
      bans: new PostgresBanStore(manager),
    }),
    configuration,
    readiness: configuration.readiness(),
    refresh: () => watcher.pollNow(),
    async close() {
      await watcher.stop();
    },
  };
}

async function seed(store: MappingConfigStore, config: MappingConfig, log: Logger): Promise<void> {
  const writes = [
    () => store.upsertGroups(config.groups),
    () => store.upsertPools(config.pools),
    () => store.replaceRules(config.rules),
    () => store.upsertPilotRoles(config.pilotRoles),
    () => store.upsertPayloadCallers(config.payloadCallers),
  ];
  for (const write of writes) {
    const result = await write();
    if (!result.ok) throw new Error(`seed mapping configuration refused: ${result.error.problems.map(describeProblem).join('; ')}`);
  }
  log.info({ pools: config.pools.length, rules: config.rules.length }, 'seeded the mapping configuration');
}
