import { createPrivateKey } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Dn } from '@gridauthz/domain';
import type { AccountObligationMode } from '@gridauthz/decision';
import type { LeaseNameSetting } from '@gridauthz/mapping';
import type { Config, SettingSpec } from './settings';
import { parseDuration, SETTINGS } from './settings';

export const DEFAULT_CONFIG_FILE = '/etc/gridauthz/gridauthz.yaml';

/** A configuration problem; the message names the key (and where its value came from). */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Explicit config file (--config); it must exist. Otherwise GRIDAUTHZ_CONFIG, then the default file if present. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults that replace the grid defaults (development mode); file and environment still win. */
  readonly overrideDefaults?: Partial<Record<string, unknown>>;
  /** Relative paths in the file and the environment are resolved against this (default: cwd). */
  readonly baseDir?: string;
}

/**
 * Precedence, lowest first: built-in defaults, overrideDefaults, the YAML file, GRIDAUTHZ_* environment.
 * Unknown keys in the file are errors, not silently ignored: a typo must not leave a default in force.
 */
export function loadConfig(options: LoadConfigOptions = {}): { config: Config; file: string | undefined } {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const problems: string[] = [];
  const explicit = options.file ?? env.GRIDAUTHZ_CONFIG;
  let file: string | undefined;
  let fileValues: Record<string, unknown> = {};
  if (explicit !== undefined && explicit !== '') {
    file = resolve(baseDir, explicit);
    if (!existsSync(file)) throw new ConfigError([`config file ${file} does not exist`]);
  } else if (existsSync(DEFAULT_CONFIG_FILE)) {
    file = DEFAULT_CONFIG_FILE;
  }
  if (file !== undefined) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (parsed !== null && parsed !== undefined) {
        if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the top level must be a mapping');
        fileValues = flatten(parsed as Record<string, unknown>);
      }
    } catch (err) {
      throw new ConfigError([`config file ${file}: ${err instanceof Error ? err.message : String(err)}`]);
    }
    const known = new Set<string>(SETTINGS.map((s) => s.key));
    for (const key of Object.keys(fileValues)) if (!known.has(key)) problems.push(`${key} (in ${file}): unknown configuration key`);
  }

  const values: Record<string, unknown> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    let raw: unknown = spec.default;
    let source = 'default';
    if (options.overrideDefaults && spec.key in options.overrideDefaults) raw = options.overrideDefaults[spec.key];
    if (spec.key in fileValues) {
      raw = fileValues[spec.key];
      source = `in ${file}`;
    }
    for (const name of [...spec.env].reverse()) {
      const fromEnv = env[name];
      if (fromEnv !== undefined && fromEnv !== '') {
        raw = fromEnv;
        source = `from ${name}`;
      }
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const message = parsed.error.issues[0]?.message ?? 'invalid value';
      problems.push(`${spec.key} (${source}): ${message}, got ${JSON.stringify(raw)}`);
      continue;
    }
    values[spec.key] = parsed.data;
  }
  checkSemantics(values, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const pathOf = (key: string): string => {
    const value = values[key] as string;
    return isAbsolute(value) ? value : resolve(baseDir, value);
  };
  const config: Config = {
    pdp: {
      host: values['pdp.host'] as string,
      port: values['pdp.port'] as number,
      bodyLimit: values['pdp.bodyLimit'] as number,
      issuer: values['pdp.issuer'] as string,
      ...(values['pdp.publicUrl'] !== undefined ? { publicUrl: values['pdp.publicUrl'] as string } : {}),
      trustedAsserters: values['pdp.trustedAsserters'] as string[],
      callers: values['pdp.callers'] as Config['pdp']['callers'],
      signResponses: values['pdp.signResponses'] as boolean,
    },
    pepd: { enabled: values['pepd.enabled'] as boolean, host: values['pepd.host'] as string, port: values['pepd.port'] as number },
    prima: {
      resource: values['prima.resource'] as string,
      hostToResource: values['prima.hostToResource'] as { caller: string; resources: string[] }[],
      gumsLegacy: {
        enabled: values['prima.gumsLegacy.enabled'] as boolean,
        readAll: values['prima.gumsLegacy.readAll'] as string[],
        readSelf: values['prima.gumsLegacy.readSelf'] as string[],
        hostPatterns: values['prima.gumsLegacy.hostPatterns'] as string[],
      },
    },
    mapping: {
      conventions: values['mapping.conventions'] as 'argus' | 'lcmaps',
      leaseNames: values['mapping.leaseNames'] as LeaseNameSetting,
      leaseExpiry: {
        idleMs: values['mapping.leaseExpiry.idle'] === 'off' ? undefined : parseDuration(values['mapping.leaseExpiry.idle'] as string),
        intervalMs: parseDuration(values['mapping.leaseExpiry.interval'] as string) as number,
      },
    },
    server: { workers: values['server.workers'] as 'auto' | number },
    management: { host: values['management.host'] as string, port: values['management.port'] as number },
    admin: {
      enabled: values['admin.enabled'] as boolean,
      host: values['admin.host'] as string,
      port: values['admin.port'] as number,
      releaseCooldownSeconds: values['admin.releaseCooldownSeconds'] as number,
      auditWindowSeconds: values['admin.auditWindowSeconds'] as number,
    },
    tls: { certFile: pathOf('tls.certFile'), keyFile: pathOf('tls.keyFile') },
    trust: { caDir: pathOf('trust.caDir'), vomsDir: pathOf('trust.vomsDir'), allowAmbiguousDns: values['trust.allowAmbiguousDns'] as boolean },
    database: {
      url: values['database.url'] as string | undefined,
      dataDir: pathOf('database.dataDir'),
      poolSize: values['database.poolSize'] as number,
      connectRetrySeconds: values['database.connectRetrySeconds'] as number,
    },
    policy: { dir: pathOf('policy.dir'), accountObligation: values['policy.accountObligation'] as AccountObligationMode },
    limits: {
      requestDeadlineMs: values['limits.requestDeadlineMs'] as number,
      maxConcurrentDecisions: values['limits.maxConcurrentDecisions'] as number,
      expensiveBodyBytes: values['limits.expensiveBodyBytes'] as number,
      maxExpensivePerClient: values['limits.maxExpensivePerClient'] as number,
      maxXmlElements: values['limits.maxXmlElements'] as number,
      handshakeTimeoutMs: values['limits.handshakeTimeoutMs'] as number,
      requestTimeoutMs: values['limits.requestTimeoutMs'] as number,
      maxUnauthenticatedConnections: values['limits.maxUnauthenticatedConnections'] as number,
      maxConnections: values['limits.maxConnections'] as 'auto' | number,
    },
    log: { level: values['log.level'] as Config['log']['level'], format: values['log.format'] as Config['log']['format'] },
    bans: { clientMessage: values['bans.clientMessage'] as string, exposeReason: values['bans.exposeReason'] as boolean },
    tokens: {
      audiences: values['tokens.audiences'] as string[],
      acceptAnyAudience: values['tokens.acceptAnyAudience'] as boolean,
      issuers: values['tokens.issuers'] as Config['tokens']['issuers'],
    },
    decisions: {
      retentionDays: values['decisions.retentionDays'] as number,
      retentionBatchSize: values['decisions.retentionBatchSize'] as number,
      retentionIdleFactor: values['decisions.retentionIdleFactor'] as number,
      retentionIntervalSeconds: values['decisions.retentionIntervalSeconds'] as number,
    },
    credentials: { limitedProxy: { payload: values['credentials.limitedProxy.payload'] as 'deny' | 'allow' } },
  };
  return { config, file };
}

function flatten(object: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flatten(value as Record<string, unknown>, path));
    else out[path] = value; // lists stay whole: pdp.trustedAsserters is one key
  }
  return out;
}

/** Checks that the files and directories serving needs exist, naming the key of any that does not. */
export function checkServeFiles(config: Config): void {
  const problems: string[] = [];
  const need = (key: string, path: string, kind: 'file' | 'directory'): void => {
    try {
      const stat = statSync(path);
      if (kind === 'directory' ? !stat.isDirectory() : !stat.isFile()) problems.push(`${key}: ${path} is not a ${kind}`);
      else accessSync(path, kind === 'directory' ? fsConstants.R_OK | fsConstants.X_OK : fsConstants.R_OK);
    } catch {
      problems.push(`${key}: ${kind} ${path} does not exist or cannot be read`);
    }
  };
  need('tls.certFile', config.tls.certFile, 'file');
  need('tls.keyFile', config.tls.keyFile, 'file');
  need('trust.caDir', config.trust.caDir, 'directory');
  need('trust.vomsDir', config.trust.vomsDir, 'directory');
  if (!problems.some((p) => p.startsWith('tls.keyFile'))) {
    try {
      createPrivateKey(readFileSync(config.tls.keyFile));
    } catch (err) {
      // An encrypted key counts too: the service has nobody to ask for a passphrase.
      problems.push(`tls.keyFile: ${config.tls.keyFile} is not a readable unencrypted private key (${(err as Error).message.split('\n')[0]})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Values that type-check but mean nothing: DNs that do not parse, patterns that do not compile. */
function checkSemantics(values: Record<string, unknown>, problems: string[]): void {
  const dn = (key: string, text: string): void => {
    try {
      Dn.parse(text);
    } catch (err) {
      problems.push(`${key}: "${text}" is not a DN (${(err as Error).message})`);
    }
  };
  for (const key of ['pdp.trustedAsserters', 'prima.gumsLegacy.readAll', 'prima.gumsLegacy.readSelf']) {
    for (const text of (values[key] as string[] | undefined) ?? []) dn(key, text);
  }
  for (const c of (values['pdp.callers'] as { dn: string }[] | undefined) ?? []) dn('pdp.callers', c.dn);
  for (const rule of (values['prima.hostToResource'] as { caller: string; resources: string[] }[] | undefined) ?? []) {
    dn('prima.hostToResource', rule.caller);
    for (const r of rule.resources) dn('prima.hostToResource', r);
  }
  // An issuer without an audience would refuse every token: said at start-up, not on the first token.
  const issuers = (values['tokens.issuers'] as unknown[] | undefined) ?? [];
  if (issuers.length > 0 && ((values['tokens.audiences'] as unknown[] | undefined) ?? []).length === 0 && values['tokens.acceptAnyAudience'] !== true) {
    problems.push('tokens.audiences: token issuers are configured but no audience: every token would be refused (name this site\'s audience)');
  }
  for (const pattern of (values['prima.gumsLegacy.hostPatterns'] as string[] | undefined) ?? []) {
    try {
      new RegExp(`^(?:${pattern})$`);
    } catch {
      problems.push(`prima.gumsLegacy.hostPatterns: "${pattern}" is not a regular expression`);
    }
  }
}
