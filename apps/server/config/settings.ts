import { z } from 'zod';

/**
 * Every configuration key, its environment variable and its default, in one table: the config file (YAML),
 * the environment and docs/configuration.md all derive from it. Grid defaults follow the usual
 * /etc/grid-security layout so that a site can run gridauthz with no config file at all.
 */
const port = z.coerce
  .number({ error: 'expected a TCP port number' })
  .int('expected a whole port number')
  .min(1, 'expected a TCP port 1-65535')
  .max(65535, 'expected a TCP port 1-65535');
const host = z.string().trim().min(1, 'expected a host name or IP address');
const path = z.string().trim().min(1, 'expected a file system path');
const positiveInt = z.coerce.number({ error: 'expected a number' }).int('expected a whole number').positive('expected a number above 0');
const bytes = z.coerce.number({ error: 'expected a number of bytes' }).int('expected a whole number of bytes').min(1024, 'expected at least 1024 bytes');

/** A list: a YAML sequence in the file, or `;`-separated in the environment (DNs contain commas and slashes). */
const dnList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(';').map((x) => x.trim()).filter((x) => x !== '') : v),
  z.array(z.string().trim().min(1), { error: 'expected a list of DNs' }),
);

const stringList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(';').map((x) => x.trim()).filter((x) => x !== '') : v),
  z.array(z.string().trim().min(1), { error: 'expected a list' }),
);

/** YAML: a list of {caller, resources}; environment: the same as JSON. */
const hostToResource = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.array(z.object({ caller: z.string().trim().min(1), resources: z.array(z.string().trim().min(1)).min(1) }).strict(), {
    error: 'expected a list of {caller: DN, resources: [DN, ...]}',
  }),
);

/** Worker processes: "auto", or a whole number (the environment gives strings). */
const workers = z.union(
  [
    z.literal('auto'),
    z.coerce.number({ error: 'expected auto or a whole number 1-256' }).int('expected auto or a whole number 1-256').min(1, 'expected auto or a whole number 1-256').max(256, 'expected auto or a whole number 1-256'),
  ],
  { error: 'expected auto or a whole number 1-256' },
);

export interface SettingSpec {
  readonly key: string;
  readonly env: readonly string[];
  readonly schema: z.ZodType;
  readonly default?: unknown;
  readonly description: string;
}

export const SETTINGS = [
  { key: 'pdp.host', env: ['GRIDAUTHZ_PDP_HOST'], schema: host, default: '0.0.0.0', description: 'Address of the PDP (mutual TLS) listener.' },
  { key: 'pdp.port', env: ['GRIDAUTHZ_PDP_PORT'], schema: port, default: 8443, description: 'Port of the PDP listener (SCAS and GUMS clients expect 8443).' },
  { key: 'pdp.bodyLimit', env: ['GRIDAUTHZ_PDP_BODY_LIMIT'], schema: bytes, default: 262144, description: 'Largest request body accepted, in bytes; larger bodies are refused before parsing.' },
  { key: 'pdp.issuer', env: ['GRIDAUTHZ_PDP_ISSUER'], schema: z.string().trim().min(1), default: 'gridauthz', description: 'Entity id put in the saml2:Issuer of SAML2-XACML2 answers.' },
  { key: 'pdp.trustedAsserters', env: ['GRIDAUTHZ_PDP_TRUSTED_ASSERTERS'], schema: dnList, default: [], description: 'DNs of callers (e.g. an Argus PEPd) whose asserted subject-id and FQAN attributes are believed when a query carries no certificate chain. Empty: every subject must come with its chain.' },
  { key: 'pdp.signResponses', env: ['GRIDAUTHZ_PDP_SIGN_RESPONSES'], schema: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' })), default: false, description: 'Sign SAML2-XACML2 responses (enveloped XML-DSig, exclusive c14n, RSA-SHA256) with the host key. Off: no known client verifies signatures (saml2-xacml2.md §2.3, §7.4).' },
  { key: 'prima.resource', env: ['GRIDAUTHZ_PRIMA_RESOURCE'], schema: z.string().trim().min(1), default: 'http://authz-interop.org/xacml/resource/resource-type/ce', description: 'Resource id under which PRIMA (GUMS SAML 1.1) questions are decided by the site policy.' },
  { key: 'prima.hostToResource', env: ['GRIDAUTHZ_PRIMA_HOST_TO_RESOURCE'], schema: hostToResource, default: [], description: 'PRIMA callers allowed to ask about Resources other than their own DN: a list of {caller, resources} (JSON in the environment). By default a caller may ask only about itself.' },
  { key: 'prima.gumsLegacy.enabled', env: ['GRIDAUTHZ_PRIMA_GUMS_LEGACY'], schema: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' })), default: false, description: "INSECURE: also accept GUMS's caller rule (prima-saml1.md §1.1): readAll/readSelf DNs, a caller DN containing the Resource's host, or a host pattern. For sites moving off GUMS until they write hostToResource rules." },
  { key: 'prima.gumsLegacy.readAll', env: ['GRIDAUTHZ_PRIMA_GUMS_READ_ALL'], schema: dnList, default: [], description: 'With gumsLegacy: caller DNs that may ask about any Resource (GUMS readAll group).' },
  { key: 'prima.gumsLegacy.readSelf', env: ['GRIDAUTHZ_PRIMA_GUMS_READ_SELF'], schema: dnList, default: [], description: 'With gumsLegacy: caller DNs that may ask about themselves as the user (GUMS readSelf group).' },
  { key: 'prima.gumsLegacy.hostPatterns', env: ['GRIDAUTHZ_PRIMA_GUMS_HOST_PATTERNS'], schema: stringList, default: [], description: "With gumsLegacy: regular expressions (whole-string) over the caller's slash DN that may ask (GUMS hostToGroupMapping)." },
  { key: 'mapping.conventions', env: ['GRIDAUTHZ_MAPPING_CONVENTIONS'], schema: z.enum(['argus', 'lcmaps']), default: 'argus', description: 'Rule matching, group selection and lease-key convention: argus or lcmaps (mapping.md §2.3.2, §3.4-3.7). CEs sharing leases must agree.' },
  { key: 'server.workers', env: ['GRIDAUTHZ_WORKERS'], schema: workers, default: 'auto', description: 'Worker processes sharing the listeners (`serve --workers` overrides). auto: one per CPU the process may use (the cgroup CPU limit counts, so a container with a 2-CPU limit on a 64-core node runs 2) with PostgreSQL; 1 with the embedded database, which serves one process.' },
  { key: 'management.host', env: ['GRIDAUTHZ_MANAGEMENT_HOST'], schema: host, default: '127.0.0.1', description: 'Address of the plain-HTTP management listener (/healthz, /readyz, /metrics).' },
  { key: 'management.port', env: ['GRIDAUTHZ_MANAGEMENT_PORT'], schema: port, default: 9180, description: 'Port of the management listener.' },
  { key: 'admin.enabled', env: ['GRIDAUTHZ_ADMIN_ENABLED'], schema: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' })), default: true, description: 'Whether the admin REST API listener (mutual TLS, /api/v1) runs.' },
  { key: 'admin.host', env: ['GRIDAUTHZ_ADMIN_HOST'], schema: host, default: '0.0.0.0', description: 'Address of the admin API listener (mutual TLS; callers must be in admin_principal or hold a token).' },
  { key: 'admin.port', env: ['GRIDAUTHZ_ADMIN_PORT'], schema: port, default: 8444, description: 'Port of the admin API listener.' },
  { key: 'admin.releaseCooldownSeconds', env: ['GRIDAUTHZ_ADMIN_RELEASE_COOLDOWN_SECONDS'], schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number of seconds').min(0, 'expected 0 or more seconds'), default: 86400, description: 'After an admin releases a lease, the account is not handed out again for this long (a payload of the previous owner may still run on it).' },
  { key: 'admin.auditWindowSeconds', env: ['GRIDAUTHZ_ADMIN_AUDIT_WINDOW_SECONDS'], schema: positiveInt, default: 3600, description: 'Default half-width of the time window `audit who` searches for decision records around the given time.' },
  { key: 'tls.certFile', env: ['GRIDAUTHZ_HOST_CERT', 'X509_USER_CERT'], schema: path, default: '/etc/grid-security/hostcert.pem', description: 'Host certificate (PEM) the PDP listener presents.' },
  { key: 'tls.keyFile', env: ['GRIDAUTHZ_HOST_KEY', 'X509_USER_KEY'], schema: path, default: '/etc/grid-security/hostkey.pem', description: 'Private key of the host certificate (PEM, unencrypted).' },
  { key: 'trust.caDir', env: ['GRIDAUTHZ_CA_DIR', 'X509_CERT_DIR'], schema: path, default: '/etc/grid-security/certificates', description: 'IGTF-style CA directory: <hash>.0 certificates, <hash>.r0 CRLs, .signing_policy and .namespaces files.' },
  { key: 'trust.vomsDir', env: ['GRIDAUTHZ_VOMS_DIR', 'X509_VOMS_DIR'], schema: path, default: '/etc/grid-security/vomsdir', description: 'vomsdir: <vo>/<host>.lsc files naming trusted VOMS servers.' },
  { key: 'database.url', env: ['DATABASE_URL', 'GRIDAUTHZ_DATABASE_URL'], schema: z.string().trim().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(), default: undefined, description: 'PostgreSQL URL. Unset: an embedded PGlite database in database.dataDir, opened by one server process that also serves it to CLI commands run beside it.' },
  { key: 'database.dataDir', env: ['GRIDAUTHZ_DATA_DIR'], schema: path, default: './var/db', description: 'Directory of the embedded PGlite database, used when database.url is unset.' },
  { key: 'database.poolSize', env: ['GRIDAUTHZ_DATABASE_POOL_SIZE'], schema: positiveInt, default: 10, description: 'Connections per process to PostgreSQL (the embedded database always uses one).' },
  { key: 'policy.dir', env: ['GRIDAUTHZ_POLICY_DIR'], schema: path, default: '/etc/gridauthz/policies', description: 'Directory of the site policy files (SPL) loaded when the database holds no active policy.' },
  // --- opsrt: start-up failures -------------------------------------------------------------------------------
  { key: 'database.connectRetrySeconds', env: ['GRIDAUTHZ_DATABASE_CONNECT_RETRY_SECONDS'], schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number of seconds').min(0, 'expected 0 or more seconds'), default: 120, description: 'How long `serve` keeps retrying an unreachable PostgreSQL at start-up before it exits with code 69 (0: one attempt).' },
  // --- end opsrt ----------------------------------------------------------------------------------------------
  { key: 'log.level', env: ['GRIDAUTHZ_LOG_LEVEL'], schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', description: 'Log level.' },
  { key: 'log.format', env: ['GRIDAUTHZ_LOG_FORMAT'], schema: z.enum(['auto', 'json', 'pretty']), default: 'auto', description: 'json, pretty, or auto (pretty on a terminal, JSON otherwise).' },
] as const satisfies readonly SettingSpec[];

export type SettingKey = (typeof SETTINGS)[number]['key'];

/** The validated configuration, nested as in the YAML file. */
export interface Config {
  readonly pdp: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimit: number;
    readonly issuer: string;
    readonly trustedAsserters: readonly string[];
    readonly signResponses: boolean;
  };
  readonly prima: {
    readonly resource: string;
    readonly hostToResource: readonly { readonly caller: string; readonly resources: readonly string[] }[];
    readonly gumsLegacy: { readonly enabled: boolean; readonly readAll: readonly string[]; readonly readSelf: readonly string[]; readonly hostPatterns: readonly string[] };
  };
  readonly mapping: { readonly conventions: 'argus' | 'lcmaps' };
  readonly server: { readonly workers: 'auto' | number };
  readonly management: { readonly host: string; readonly port: number };
  readonly admin: {
    readonly enabled: boolean;
    readonly host: string;
    readonly port: number;
    readonly releaseCooldownSeconds: number;
    readonly auditWindowSeconds: number;
  };
  readonly tls: { readonly certFile: string; readonly keyFile: string };
  readonly trust: { readonly caDir: string; readonly vomsDir: string };
  readonly database: { readonly url: string | undefined; readonly dataDir: string; readonly poolSize: number; readonly connectRetrySeconds?: number };
  readonly policy: { readonly dir: string };
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; readonly format: 'auto' | 'json' | 'pretty' };
}
