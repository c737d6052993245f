import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { Decider, SiteSnapshot, type SiteTopic, type SubjectVerifier } from '@gridauthz/decision';
import { Dn } from '@gridauthz/domain';
import { ARGUS_SETTINGS, type CallerEntry, describeProblem, type HostRules, LCMAPS_SETTINGS, leaseKeyConventionFor, type MappingConfig, type MappingConfigStore, type MappingSettings } from '@gridauthz/mapping';
import {
  type Database,
  DecisionRetention,
  GenerationWatcher,
  PolicyVersionRepository,
  PostgresBanStore,
  PostgresCallerStore,
  PostgresMappingConfigStore,
  PostgresTokenIssuerStore,
  PostgresTokenLinkStore,
} from '@gridauthz/persistence';
import type { Config } from '../config';
import type { ReadinessCheck } from '../management/readiness';
import { databaseDecisionStorage } from './decision-storage';
import { bootstrapPolicy, reloadTokenState, siteSources, type SiteStores, TOKEN_TOPICS } from './site-configuration';
import { SiteTokenVerifier, type SiteTokenVerifierOptions } from './token-verifier';

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
  readonly configuration: SiteSnapshot;
  /** Bearer tokens: the issuers in force and their key caches (docs/tokens.md). */
  readonly tokens: SiteTokenVerifier;
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
  /** Token key-cache hooks (metrics) and, in tests, the JWKS fetcher, clock and cache timings. */
  tokens?: Omit<SiteTokenVerifierOptions, 'log'>;
  /** The service clock, for the retention cutoff (default: the system clock). */
  clock?: () => Date;
  /** Told how many decision records each retention batch deleted (metrics). */
  onRecordsDeleted?: (rows: number) => void;
}): Promise<SiteRuntime> {
  const { db, config, log } = options;
  const base = config.mapping.conventions === 'lcmaps' ? LCMAPS_SETTINGS : ARGUS_SETTINGS;
  // The lease-name setting overrides only the key convention of the rule conventions (docs/mapping.md "Lease names").
  const settings: MappingSettings = Object.assign({}, base, { leaseKey: leaseKeyConventionFor(config.mapping.leaseNames, config.mapping.conventions) });
  const stores = {
    policies: new PolicyVersionRepository(db),
    mapping: new PostgresMappingConfigStore(db, settings),
    bans: new PostgresBanStore(db),
    callers: new PostgresCallerStore(db),
    tokenLinks: new PostgresTokenLinkStore(db),
    tokenIssuers: new PostgresTokenIssuerStore(db),
  };
  if (options.seedMapping && (await stores.mapping.load()).pools.length === 0) await seed(stores.mapping, stores.callers, options.seedMapping, log);
  const siteLog = log.child({ component: 'site' });
  const configuration = new SiteSnapshot(
    siteSources(stores),
    { mapping: settings, configCallers: configCallers(config), hostRules: configHostRules(config), accountObligation: config.policy.accountObligation ?? 'auto' },
    siteLog,
  );
  const noPolicy = await bootstrapPolicy(stores.policies, config.policy.dir, siteLog);
  if (noPolicy !== undefined) configuration.explainNoPolicy(noPolicy);
  await configuration.reload();
  const tokens = new SiteTokenVerifier(config.tokens, { log: log.child({ component: 'tokens' }), ...options.tokens });
  const tokenLog = log.child({ component: 'tokens' });
  await reloadTokenState(stores, tokens, TOKEN_TOPICS, tokenLog);
  const isTokenTopic = (topic: string): boolean => (TOKEN_TOPICS as readonly string[]).includes(topic);
  const watcher = new GenerationWatcher(
    db,
    async (topics) => {
      await configuration.reload(topics.filter((t): t is SiteTopic => !isTokenTopic(t)));
      await reloadTokenState(stores, tokens, topics.filter(isTokenTopic), tokenLog);
    },
    log.child({ component: 'change-feed' }),
    SITE_POLL_MS,
  );
  // Expiry needs no reload: every decision checks each ban against its own time.
  await watcher.start();

  const decider = new Decider({
    verifier: options.verifier,
    tokenVerifier: tokens,
    configuration,
    storage: databaseDecisionStorage(db),
    newId: randomUUID,
    monotonicMs: () => performance.now(),
    log: log.child({ component: 'decision' }),
    banAnswer: { clientMessage: config.bans.clientMessage, exposeReason: config.bans.exposeReason },
  });
  // Every replica runs the job; an advisory lock lets one delete at a time (docs/forensics.md).
  const retention =
    config.decisions.retentionDays > 0
      ? new DecisionRetention(db, {
          retentionDays: config.decisions.retentionDays,
          batchSize: config.decisions.retentionBatchSize,
          idleFactor: config.decisions.retentionIdleFactor,
          clock: options.clock ?? (() => new Date()),
          log: log.child({ component: 'retention' }),
          ...(options.onRecordsDeleted ? { onDeleted: options.onRecordsDeleted } : {}),
        })
      : undefined;
  retention?.start(config.decisions.retentionIntervalSeconds * 1000);
  return {
    decider,
    stores,
    storesIn: (manager) => ({
      policies: new PolicyVersionRepository(manager),
      mapping: new PostgresMappingConfigStore(manager, settings),
      bans: new PostgresBanStore(manager),
    }),
    configuration,
    tokens,
    readiness: configuration.readiness(),
    refresh: () => watcher.pollNow(),
    async close() {
      await retention?.stop();
      await watcher.stop();
    },
  };
}

/** The callers the settings name: `pdp.callers` entries and, as asserters, `pdp.trustedAsserters` (docs/callers.md). */
export function configCallers(config: Config): CallerEntry[] {
  const out: CallerEntry[] = [];
  for (const c of config.pdp.callers) {
    const dn = Dn.parse(c.dn);
    for (const role of c.roles) out.push({ dn, role, source: 'config', ...(c.comment !== undefined ? { comment: c.comment } : {}) });
  }
  for (const text of config.pdp.trustedAsserters) out.push({ dn: Dn.parse(text), role: 'asserter', source: 'config', comment: 'pdp.trustedAsserters' });
  return out;
}

/** Who may ask on behalf of which host: prima.hostToResource and, INSECURE, prima.gumsLegacy (docs/callers.md). */
export function configHostRules(config: Config): HostRules {
  const legacy = config.prima.gumsLegacy;
  return {
    hostToResource: config.prima.hostToResource.map((r) => ({ caller: Dn.parse(r.caller), resources: r.resources.map((x) => Dn.parse(x)) })),
    ...(legacy.enabled
      ? {
          gumsLegacy: {
            readAll: legacy.readAll.map((d) => Dn.parse(d)),
            readSelf: legacy.readSelf.map((d) => Dn.parse(d)),
            hostPatterns: legacy.hostPatterns.map((p) => new RegExp(`^(?:${p})$`)),
          },
        }
      : {}),
  };
}

async function seed(store: MappingConfigStore, callers: PostgresCallerStore, config: MappingConfig, log: Logger): Promise<void> {
  const writes = [
    () => store.upsertGroups(config.groups),
    () => store.upsertPools(config.pools),
    () => store.replaceRules(config.rules),
    () => store.upsertPilotRoles(config.pilotRoles),
  ];
  for (const write of writes) {
    const result = await write();
    if (!result.ok) throw new Error(`seed mapping configuration refused: ${result.error.problems.map(describeProblem).join('; ')}`);
  }
  // The seed's payload callers go to the caller table. On the development site the host plays CE and worker
  // node at once, so a 'host' entry is also a trusted asserter (PRIMA and emi examples); a 'pilot' one is a pilot.
  for (const c of config.payloadCallers) {
    const dn = Dn.parse(c.dn);
    await callers.add(dn, 'pilot', { comment: `seed ${c.id}`, by: 'seed' });
    if (c.kind === 'host') await callers.add(dn, 'asserter', { comment: `seed ${c.id}`, by: 'seed' });
  }
  log.info({ pools: config.pools.length, rules: config.rules.length, callers: config.payloadCallers.length }, 'seeded the mapping configuration');
}
