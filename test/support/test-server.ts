import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../apps/server/config';
import { type RunningServer, startServer } from '../../apps/server/bootstrap';
import { devMappingConfig } from '../../apps/server/site/dev-site';
import { openTrust } from '../../apps/server/trust';
import { captureLog, type CapturedLog } from './log-capture';
import { fixturePath, fixturePki } from './fixtures';
import { createTestStorage, type TestStorage } from './test-database';

/** The built-in defaults of the limits.* keys (apps/server/config/settings.ts). */
export const TEST_LIMITS: Config['limits'] = {
  requestDeadlineMs: 5000,
  maxConcurrentDecisions: 256,
  expensiveBodyBytes: 32768,
  maxExpensivePerClient: 1,
  maxXmlElements: 2000,
  handshakeTimeoutMs: 5000,
  requestTimeoutMs: 10000,
  maxUnauthenticatedConnections: 256,
  maxConnections: 'auto',
};

export interface TestServer {
  readonly server: RunningServer;
  readonly log: CapturedLog;
  readonly config: Config;
  /** The fixture CA (PEM), for clients to verify the server with. */
  readonly ca: string;
  close(): Promise<void>;
}

/** The real server (both listeners, real TLS, real storage) on ephemeral loopback ports with the fixture PKI. */
export async function startTestServer(overrides: { config?: Partial<Config>; storage?: TestStorage; clock?: () => Date } = {}): Promise<TestServer> {
  const pki = fixturePki();
  const storage = overrides.storage ?? (await createTestStorage());
  const config: Config = {
    pdp: { host: '127.0.0.1', port: 0, bodyLimit: 262_144, issuer: 'https://gridauthz.test/pdp', trustedAsserters: [], callers: [], signResponses: false },
    prima: {
      resource: 'http://authz-interop.org/xacml/resource/resource-type/ce',
      hostToResource: [],
      gumsLegacy: { enabled: false, readAll: [], readSelf: [], hostPatterns: [] },
    },
    mapping: { conventions: 'argus', leaseNames: 'auto', leaseExpiry: { idleMs: undefined, intervalMs: 3_600_000 } },
    server: { workers: 1 },
    management: { host: '127.0.0.1', port: 0 },
    admin: { enabled: true, host: '127.0.0.1', port: 0, releaseCooldownSeconds: 86_400, auditWindowSeconds: 3600 },
    credentials: { limitedProxy: { payload: 'deny' } },
    tls: { certFile: fixturePath(pki.host.certFile), keyFile: fixturePath(pki.host.keyFile) },
    trust: { caDir: fixturePath(pki.caDir), vomsDir: fixturePath(pki.vomsDir), allowAmbiguousDns: false },
    database: { url: storage.url, dataDir: storage.dataDir, poolSize: 10 },
    policy: { dir: join(__dirname, '..', '..', 'policies') },
    log: { level: 'debug', format: 'json' },
    bans: { clientMessage: 'access denied by site policy', exposeReason: false },
    tokens: { audiences: [], acceptAnyAudience: false, issuers: [] },
    decisions: { retentionDays: 0, retentionBatchSize: 1000, retentionIdleFactor: 3, retentionIntervalSeconds: 3600 },
    limits: TEST_LIMITS,
    ...overrides.config,
  };
  const log = captureLog();
  const trust = await openTrust(config, log.logger);
  const server = await startServer({
    config,
    log: log.logger,
    trust,
    migrate: true,
    ...(overrides.clock ? { clock: overrides.clock } : {}),
    seedMapping: devMappingConfig({ hostDn: pki.host.subject, pilotDn: pki.users['pilot']?.subject ?? '' }),
  });
  await server.ready;
  return {
    server,
    log,
    config,
    ca: readFileSync(fixturePath(pki.ca.certFile), 'utf8'),
    async close() {
      await server.close();
      if (!overrides.storage) await storage.dispose();
    },
  };
}
