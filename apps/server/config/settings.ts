import { z } from 'zod';
import { ACCOUNT_OBLIGATION_MODES, type AccountObligationMode } from '@gridauthz/decision';
import { LEASE_NAME_SETTINGS, type LeaseNameSetting } from '@gridauthz/mapping';
import { pdpIdentifier } from '@gridauthz/protocols';

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
const millis = z.coerce.number({ error: 'expected a number of milliseconds' }).int('expected a whole number of milliseconds').min(100, 'expected at least 100 ms').max(600_000, 'expected at most 600000 ms');
const bytes = z.coerce.number({ error: 'expected a number of bytes' }).int('expected a whole number of bytes').min(1024, 'expected at least 1024 bytes');

/** The PDP's public base URL: checked and written as AuthZEN's policy_decision_point (docs/reference/authzen.md §9.1.1). */
const pdpUrl = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const checked = pdpIdentifier(v);
    if (checked.ok) return checked.value;
    ctx.addIssue({ code: 'custom', message: checked.error });
    return z.NEVER;
  })
  .optional();

/** A list: a YAML sequence in the file, or `;`-separated in the environment (DNs contain commas and slashes). */
const dnList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(';').map((x) => x.trim()).filter((x) => x !== '') : v),
  z.array(z.string().trim().min(1), { error: 'expected a list of DNs' }),
);

const stringList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(';').map((x) => x.trim()).filter((x) => x !== '') : v),
  z.array(z.string().trim().min(1), { error: 'expected a list' }),
);

/** A switch: a YAML boolean in the file, `true` or `false` in the environment. */
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error: 'expected true or false' }));

/** A structured value: YAML in the file, the same as JSON in the environment (left as text when it is not JSON). */
function fromJsonInEnvironment(schema: z.ZodType): z.ZodType {
  return z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);
}

/** YAML: a list of {caller, resources}; environment: the same as JSON. */
const hostToResource = fromJsonInEnvironment(
  z.array(z.object({ caller: z.string().trim().min(1), resources: z.array(z.string().trim().min(1)).min(1) }).strict(), {
    error: 'expected a list of {caller: DN, resources: [DN, ...]}',
  }),
);

/** YAML: a list of {dn, roles, comment?}; environment: the same as JSON (docs/callers.md). */
const callerList = fromJsonInEnvironment(
  z.array(
    z
      .object({
        dn: z.string().trim().min(1),
        roles: z.array(z.enum(['pilot', 'asserter'], { error: 'a role is pilot or asserter' })).min(1, 'give at least one role'),
        comment: z.string().optional(),
      })
      .strict(),
    { error: 'expected a list of {dn: DN, roles: [pilot|asserter, ...]}' },
  ),
);

/**
 * YAML: a list of {issuer, jwksFile | jwksUrl}; environment: the same as JSON (docs/tokens.md §6). Exactly one key
 * source per issuer; a URL must be https (the WLCG profile), a file an absolute path; each issuer once.
 */
const tokenIssuerList = fromJsonInEnvironment(
  z
    .array(
      z
        .object({
          issuer: z.string().min(1, 'an issuer is its exact iss claim').refine((v) => v === v.trim(), 'an issuer may not start or end with white space'),
          jwksFile: z.string().trim().refine((v) => v.startsWith('/'), 'jwksFile must be an absolute path').optional(),
          jwksUrl: z.url({ protocol: /^https$/, error: 'jwksUrl must be an https URL (the WLCG profile requires TLS)' }).optional(),
        })
        .strict()
        .refine((i) => (i.jwksFile === undefined) !== (i.jwksUrl === undefined), 'each issuer needs exactly one of jwksFile and jwksUrl'),
      { error: 'expected a list of {issuer, jwksFile | jwksUrl}' },
    )
    .refine((list) => new Set(list.map((i) => i.issuer)).size === list.length, 'an issuer is listed twice'),
);

/** The "any relying party" audiences are a switch (tokens.acceptAnyAudience), never a listed audience. */
const tokenAudiences = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(';').map((x) => x.trim()).filter((x) => x !== '') : v),
  z
    .array(z.string().min(1).refine((v) => v === v.trim(), 'an audience may not start or end with white space'), { error: 'expected a list of audiences' })
    .refine((list) => !list.some((a) => a === 'https://wlcg.cern.ch/jwt/v1/any' || a === 'ANY'), 'the "any" audience is not a site audience: set tokens.acceptAnyAudience instead'),
);

/** Worker processes: "auto", or a whole number (the environment gives strings). */
const workers = z.union(
  [
    z.literal('auto'),
    z.coerce.number({ error: 'expected auto or a whole number 1-256' }).int('expected auto or a whole number 1-256').min(1, 'expected auto or a whole number 1-256').max(256, 'expected auto or a whole number 1-256'),
  ],
  { error: 'expected auto or a whole number 1-256' },
);

/** Durations as sites write them for cron tools: a whole number and a unit s, m, h or d (`240h`, `10d`). */
const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export function parseDuration(text: string): number | undefined {
  const m = /^([0-9]{1,9})(s|m|h|d)$/.exec(text.trim());
  return m ? Number(m[1]) * (DURATION_UNITS[m[2] as string] as number) : undefined;
}
const duration = z
  .string({ error: 'expected a duration such as 30m, 1h or 1d' })
  .refine((v) => (parseDuration(v) ?? 0) >= 60_000, 'expected a duration of at least 1m, such as 30m, 1h or 1d');
/** Below an hour, expiry would release the accounts of jobs that are merely queued: a typo, refused. */
const idleDuration = z
  .string({ error: 'expected off or a duration such as 240h or 10d' })
  .refine((v) => v === 'off' || (parseDuration(v) ?? 0) >= 3_600_000, 'expected off or a duration of at least 1h, such as 240h or 10d');

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
  { key: 'pdp.publicUrl', env: ['GRIDAUTHZ_PDP_PUBLIC_URL'], schema: pdpUrl, default: undefined, description: "The PDP listener's URL as PEPs reach it, https://host[:port] without a path: the policy_decision_point of the AuthZEN metadata document and the base of the endpoint URLs it lists (docs/authzen.md §1.1); never taken from a request's Host header. Unset: https://<pdp.host, or this machine's host name when pdp.host is a wildcard address>:<pdp.port>. Set it when PEPs use another name or port (a DNS alias, a load balancer, a Kubernetes Service)." },
  { key: 'pdp.trustedAsserters', env: ['GRIDAUTHZ_PDP_TRUSTED_ASSERTERS'], schema: dnList, default: [], description: 'DNs of trusted asserters (e.g. an Argus PEPd): the same as pdp.callers entries with the role asserter; their asserted subject-id and FQAN attributes are believed when a query carries no certificate chain.' },
  // callers lane: who may ask what (docs/callers.md)
  { key: 'pdp.callers', env: ['GRIDAUTHZ_PDP_CALLERS'], schema: callerList, default: [], description: 'Callers kept in configuration (files, Helm values) beside those of `gridauthz caller add`: a list of {dn, roles: [pilot|asserter], comment} (JSON in the environment). pilot: may ask for a payload\'s mapping with the payload\'s chain (glexec); asserter: may assert DN and FQANs without a chain (CEs over PRIMA, ARC emi, Argus PEPd).' },
  { key: 'pdp.signResponses', env: ['GRIDAUTHZ_PDP_SIGN_RESPONSES'], schema: flag, default: false, description: 'Sign SAML2-XACML2 responses (enveloped XML-DSig, exclusive c14n, RSA-SHA256) with the host key. Off: no known client verifies signatures (saml2-xacml2.md §2.3, §7.4).' },
  // pepd lane: the Argus PEP daemon endpoint (docs/pepd.md §6, docs/argus-migration.md)
  { key: 'pepd.enabled', env: ['GRIDAUTHZ_PEPD_ENABLED'], schema: flag, default: false, description: "Whether the PEPd listener runs: Argus PEP clients (glexec's LCMAPS c-pep plugin, ARC, pepcli) POST /authz here, mutual TLS and caller rules as on the PDP listener. Off by default: a new port is opened only where a site replaces an Argus server (docs/argus-migration.md)." },
  { key: 'pepd.host', env: ['GRIDAUTHZ_PEPD_HOST'], schema: host, default: '0.0.0.0', description: 'Address of the PEPd listener (with pepd.enabled).' },
  { key: 'pepd.port', env: ['GRIDAUTHZ_PEPD_PORT'], schema: port, default: 8154, description: "Port of the PEPd listener; 8154 is Argus PEPd's, which worker nodes' c-pep and pepcli configurations name." },
  { key: 'prima.resource', env: ['GRIDAUTHZ_PRIMA_RESOURCE'], schema: z.string().trim().min(1), default: 'http://authz-interop.org/xacml/resource/resource-type/ce', description: 'Resource id under which PRIMA (GUMS SAML 1.1) questions are decided by the site policy.' },
  { key: 'prima.hostToResource', env: ['GRIDAUTHZ_PRIMA_HOST_TO_RESOURCE'], schema: hostToResource, default: [], description: 'PRIMA callers allowed to ask about Resources other than their own DN: a list of {caller, resources} (JSON in the environment). By default a caller may ask only about itself.' },
  { key: 'prima.gumsLegacy.enabled', env: ['GRIDAUTHZ_PRIMA_GUMS_LEGACY'], schema: flag, default: false, description: "INSECURE: also accept GUMS's caller rule (prima-saml1.md §1.1): readAll/readSelf DNs, a caller DN containing the Resource's host, or a host pattern. For sites moving off GUMS until they write hostToResource rules." },
  { key: 'prima.gumsLegacy.readAll', env: ['GRIDAUTHZ_PRIMA_GUMS_READ_ALL'], schema: dnList, default: [], description: 'With gumsLegacy: caller DNs that may ask about any Resource (GUMS readAll group).' },
  { key: 'prima.gumsLegacy.readSelf', env: ['GRIDAUTHZ_PRIMA_GUMS_READ_SELF'], schema: dnList, default: [], description: 'With gumsLegacy: caller DNs that may ask about themselves as the user (GUMS readSelf group).' },
  { key: 'prima.gumsLegacy.hostPatterns', env: ['GRIDAUTHZ_PRIMA_GUMS_HOST_PATTERNS'], schema: stringList, default: [], description: "With gumsLegacy: regular expressions (whole-string) over the caller's slash DN that may ask (GUMS hostToGroupMapping)." },
  { key: 'mapping.conventions', env: ['GRIDAUTHZ_MAPPING_CONVENTIONS'], schema: z.enum(['argus', 'lcmaps']), default: 'argus', description: 'Rule matching, group selection and lease-key convention: argus or lcmaps (mapping.md §2.3.2, §3.4-3.7). CEs sharing leases must agree.' },
  // --- lease names and lease expiry (docs/mapping.md "Lease names", docs/lease-expiry.md) ---
  { key: 'mapping.leaseNames', env: ['GRIDAUTHZ_MAPPING_LEASE_NAMES'], schema: z.enum(LEASE_NAME_SETTINGS), default: 'auto', description: 'Lease-name convention, shared by the PDP, `import gridmapdir` and `export gridmapdir`: argus (Argus PEPd: DN + primary + secondary groups in rule order), dn (DN only), dn-primary-group (LCMAPS -do_not_use_secondary_gids, the YAIM/gLExec default), dn-groups (LCMAPS default: DN + primary + secondaries by gid), auto (follow mapping.conventions: argus or dn-groups). Must match every service sharing the gridmapdir (mapping.md "Lease names").' },
  { key: 'mapping.leaseExpiry.idle', env: ['GRIDAUTHZ_LEASE_EXPIRY_IDLE'], schema: idleDuration, default: 'off', description: 'Release pool leases unused for this long, as lcg-expiregridmapdir -e does: off, or a duration of at least 1h such as 240h or 10d. Choose it above the longest queue time + wall time + margin (lease-expiry.md). Off by default: a site still running lcg-expiregridmapdir on a shared gridmapdir must have one expiry authority.' },
  { key: 'mapping.leaseExpiry.interval', env: ['GRIDAUTHZ_LEASE_EXPIRY_INTERVAL'], schema: duration, default: '1h', description: 'How often the server runs lease expiry when mapping.leaseExpiry.idle is set (one replica at a time); a duration such as 15m, 1h or 1d.' },
  { key: 'server.workers', env: ['GRIDAUTHZ_WORKERS'], schema: workers, default: 'auto', description: 'Worker processes sharing the listeners (`serve --workers` overrides). auto: one per CPU the process may use (the cgroup CPU limit counts, so a container with a 2-CPU limit on a 64-core node runs 2) with PostgreSQL; 1 with the embedded database, which serves one process.' },
  { key: 'management.host', env: ['GRIDAUTHZ_MANAGEMENT_HOST'], schema: host, default: '127.0.0.1', description: 'Address of the plain-HTTP management listener (/healthz, /readyz, /metrics).' },
  { key: 'management.port', env: ['GRIDAUTHZ_MANAGEMENT_PORT'], schema: port, default: 9180, description: 'Port of the management listener.' },
  { key: 'admin.enabled', env: ['GRIDAUTHZ_ADMIN_ENABLED'], schema: flag, default: true, description: 'Whether the admin REST API listener (mutual TLS, /api/v1) runs.' },
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
  { key: 'policy.accountObligation', env: ['GRIDAUTHZ_POLICY_ACCOUNT_OBLIGATION'], schema: z.enum(ACCOUNT_OBLIGATION_MODES), default: 'auto', description: 'When a Permit is mapped to a local account (architecture.md "Obligations"). required (Argus): only when the matched policy block carries an account-mapping obligation (http://glite.org/xacml/obligation/local-environment-map or http://dci-sec.org/xacml/obligation/map-local-user), whatever the protocol; a Permit without one has no account. implicit: every Permit of a protocol whose clients switch identity (glexec, CEs: not plain XACML) is mapped and carries the gLite map obligation. auto: required when the active policy names an account-mapping obligation anywhere, else implicit.' },
  // --- overload limits (docs/operations.md "Overload and limits"); defaults from BENCHMARKS.md "Overload" ---
  { key: 'limits.requestDeadlineMs', env: ['GRIDAUTHZ_REQUEST_DEADLINE_MS'], schema: millis, default: 5000, description: 'Longest a PDP request may take from arrival to answer, database waits included; past it the answer is Indeterminate (PRIMA, SAML2-XACML2) and the decision takes no lease. Also the PostgreSQL statement_timeout and lock_timeout of the serving connections.' },
  { key: 'limits.maxConcurrentDecisions', env: ['GRIDAUTHZ_MAX_CONCURRENT_DECISIONS'], schema: positiveInt, default: 256, description: 'Requests one process decides at once; one more is refused at once with HTTP 503 and a SOAP Server fault, so that clients fail over instead of queueing.' },
  { key: 'limits.expensiveBodyBytes', env: ['GRIDAUTHZ_EXPENSIVE_BODY_BYTES'], schema: bytes, default: 32768, description: 'Bodies larger than this (long certificate chains) are decoded one client certificate at a time (limits.maxExpensivePerClient) and take turns with other clients, so a few greedy clients cannot starve the rest.' },
  { key: 'limits.maxExpensivePerClient', env: ['GRIDAUTHZ_MAX_EXPENSIVE_PER_CLIENT'], schema: positiveInt, default: 1, description: 'Large requests (over limits.expensiveBodyBytes) of one client certificate decoded at once per process; the others wait their turn within the deadline.' },
  { key: 'limits.maxXmlElements', env: ['GRIDAUTHZ_MAX_XML_ELEMENTS'], schema: positiveInt, default: 2000, description: 'Most XML elements (counted before parsing) a request may contain; real queries have fewer than 100.' },
  { key: 'limits.handshakeTimeoutMs', env: ['GRIDAUTHZ_HANDSHAKE_TIMEOUT_MS'], schema: millis, default: 5000, description: 'A connection that has not completed its TLS handshake and sent a complete request head within this time is closed.' },
  { key: 'limits.requestTimeoutMs', env: ['GRIDAUTHZ_REQUEST_TIMEOUT_MS'], schema: millis, default: 10000, description: 'A request (head and body) that has not fully arrived within this time is answered 408 and its connection closed (slow bodies).' },
  { key: 'limits.maxUnauthenticatedConnections', env: ['GRIDAUTHZ_MAX_UNAUTHENTICATED_CONNECTIONS'], schema: positiveInt, default: 256, description: 'Connections per process that have not yet sent a request (handshake pending or idle after it); one more closes the oldest of them.' },
  { key: 'limits.maxConnections', env: ['GRIDAUTHZ_MAX_CONNECTIONS'], schema: z.union([z.literal('auto'), positiveInt], { error: 'expected auto or a whole number' }), default: 'auto', description: 'PDP connections per process; more are closed on accept. auto: the open-files limit minus 256 (database, files, admin and management listeners).' },
  // --- opsrt: start-up failures -------------------------------------------------------------------------------
  { key: 'database.connectRetrySeconds', env: ['GRIDAUTHZ_DATABASE_CONNECT_RETRY_SECONDS'], schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number of seconds').min(0, 'expected 0 or more seconds'), default: 120, description: 'How long `serve` keeps retrying an unreachable PostgreSQL at start-up before it exits with code 69 (0: one attempt).' },
  // --- end opsrt ----------------------------------------------------------------------------------------------
  { key: 'log.level', env: ['GRIDAUTHZ_LOG_LEVEL'], schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), default: 'info', description: 'Log level.' },
  { key: 'log.format', env: ['GRIDAUTHZ_LOG_FORMAT'], schema: z.enum(['auto', 'json', 'pretty']), default: 'auto', description: 'json, pretty, or auto (pretty on a terminal, JSON otherwise).' },
  // identities (docs/identities.md)
  { key: 'trust.allowAmbiguousDns', env: ['GRIDAUTHZ_ALLOW_AMBIGUOUS_DNS'], schema: flag, default: false, description: "Accept certificates whose subject's slash text (OpenSSL's) reads as a different name, e.g. an OU value containing \"/CN=\" (docs/identities.md). Off: they are refused with CRED_DN_AMBIGUOUS. On: they are accepted and compared structurally, so they never match the name their text spells." },
  // forensics: ban answers and decision-record retention (docs/forensics.md, docs/operations.md)
  { key: 'bans.clientMessage', env: ['GRIDAUTHZ_BANS_CLIENT_MESSAGE'], schema: z.string().trim().min(1, 'expected a message text'), default: 'access denied by site policy', description: "Status message a banned subject's client gets with its Deny. The ban's reason stays internal (the decision record keeps ban:<id>)." },
  { key: 'bans.exposeReason', env: ['GRIDAUTHZ_BANS_EXPOSE_REASON'], schema: flag, default: false, description: "Send the ban's reason (as the officer typed it) to the banned subject's client instead of bans.clientMessage. Off: officers' notes must not reach the person banned." },
  { key: 'decisions.retentionDays', env: ['GRIDAUTHZ_DECISIONS_RETENTION_DAYS'], schema: z.coerce.number({ error: 'expected a number of days' }).int('expected a whole number of days').min(0, 'expected 0 (keep for ever) or a number of days').refine((d) => d === 0 || d >= 1, 'expected 0 or at least 1 day'), default: 0, description: 'Delete decision records older than this many days (a background job, in small batches, one replica at a time). 0: keep them for ever. EGI traceability policy asks for at least 180 days.' },
  { key: 'decisions.retentionBatchSize', env: ['GRIDAUTHZ_DECISIONS_RETENTION_BATCH_SIZE'], schema: z.coerce.number({ error: 'expected a number of rows' }).int('expected a whole number of rows').min(1, 'expected 1-100000 rows').max(100_000, 'expected 1-100000 rows'), default: 1000, description: 'Decision records the retention job deletes per transaction; small batches keep each transaction short.' },
  { key: 'decisions.retentionIdleFactor', env: ['GRIDAUTHZ_DECISIONS_RETENTION_IDLE_FACTOR'], schema: z.coerce.number({ error: 'expected a number' }).min(0, 'expected 0 or more').max(100, 'expected at most 100'), default: 3, description: 'After each batch the retention job idles this many times as long as the batch took (3: at most a quarter of the time deleting). Lower it if the job cannot keep up with the decision rate.' },
  { key: 'decisions.retentionIntervalSeconds', env: ['GRIDAUTHZ_DECISIONS_RETENTION_INTERVAL_SECONDS'], schema: positiveInt, default: 3600, description: 'How often the retention job looks for expired decision records.' },
  // tokens lane: bearer tokens (docs/tokens.md, docs/mapping-tokens.md)
  { key: 'tokens.audiences', env: ['GRIDAUTHZ_TOKENS_AUDIENCES'], schema: tokenAudiences, default: [], description: 'Audiences of this site (exact strings, e.g. https://ce.example.org:9619); a token must name one of them. `;`-separated in the environment. Tokens are refused (CRED_TOKEN_NOT_ACCEPTED) while no issuer is configured.' },
  { key: 'tokens.acceptAnyAudience', env: ['GRIDAUTHZ_TOKENS_ACCEPT_ANY_AUDIENCE'], schema: flag, default: false, description: 'Also accept tokens whose audience is the WLCG "any" value (https://wlcg.cern.ch/jwt/v1/any) or SciTokens ANY. Off: such a token can be replayed at any site (tokens.md §2.3).' },
  { key: 'tokens.issuers', env: ['GRIDAUTHZ_TOKENS_ISSUERS'], schema: tokenIssuerList, default: [], description: 'Trusted token issuers: a list of {issuer: exact iss, jwksFile: /path/jwks.json | jwksUrl: https://…} (JSON in the environment). URLs are fetched and cached as the WLCG profile advises, the last good keys kept while the issuer is unreachable. Issuers added with `gridauthz issuer add` are merged in; for an issuer in both, this setting wins.' },
  // adminaudit lane: credentials
  { key: 'credentials.limitedProxy.payload', env: ['GRIDAUTHZ_LIMITED_PROXY_PAYLOAD'], schema: z.enum(['deny', 'allow']), default: 'deny', description: "Whether a subject presenting a limited proxy may be mapped to an account (glexec payload, CE job): deny (default: a Globus limited proxy must not start jobs; LCMAPS's verify-proxy needs --allow-limited-proxy to accept one) or allow. Refused subjects get CRED_PROXY_LIMITED_NOT_ALLOWED. See docs/limited-proxies-and-logging.md." },
] as const satisfies readonly SettingSpec[];

/** One entry of tokens.issuers. */
export interface TokenIssuerSetting {
  readonly issuer: string;
  readonly jwksFile?: string;
  readonly jwksUrl?: string;
}

export type SettingKey = (typeof SETTINGS)[number]['key'];

/** The validated configuration, nested as in the YAML file. */
export interface Config {
  readonly pdp: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimit: number;
    readonly issuer: string;
    /** pdp.publicUrl, checked and canonical; absent: derived from the listener at start-up (bootstrap.ts). */
    readonly publicUrl?: string;
    readonly trustedAsserters: readonly string[];
    readonly callers: readonly { readonly dn: string; readonly roles: readonly ('pilot' | 'asserter')[]; readonly comment?: string }[];
    readonly signResponses: boolean;
  };
  /** The Argus PEPd listener (optional so configurations built in code need not name it: absent is off). */
  readonly pepd?: { readonly enabled: boolean; readonly host: string; readonly port: number };
  readonly prima: {
    readonly resource: string;
    readonly hostToResource: readonly { readonly caller: string; readonly resources: readonly string[] }[];
    readonly gumsLegacy: { readonly enabled: boolean; readonly readAll: readonly string[]; readonly readSelf: readonly string[]; readonly hostPatterns: readonly string[] };
  };
  readonly mapping: {
    readonly conventions: 'argus' | 'lcmaps';
    /** Lease-name convention (mapping.leaseNames); `auto` follows conventions. */
    readonly leaseNames: LeaseNameSetting;
    /** Lease expiry: idle time in ms (undefined: off) and how often the job runs. */
    readonly leaseExpiry: { readonly idleMs: number | undefined; readonly intervalMs: number };
  };
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
  readonly tokens: {
    readonly audiences: readonly string[];
    readonly acceptAnyAudience: boolean;
    readonly issuers: readonly TokenIssuerSetting[];
  };
  readonly trust: { readonly caDir: string; readonly vomsDir: string; readonly allowAmbiguousDns: boolean };
  readonly database: { readonly url: string | undefined; readonly dataDir: string; readonly poolSize: number; readonly connectRetrySeconds?: number };
  /** accountObligation: always set by loadConfig; absent (test configurations) means auto. */
  readonly policy: { readonly dir: string; readonly accountObligation?: AccountObligationMode };
  readonly limits: {
    readonly requestDeadlineMs: number;
    readonly maxConcurrentDecisions: number;
    readonly expensiveBodyBytes: number;
    readonly maxExpensivePerClient: number;
    readonly maxXmlElements: number;
    readonly handshakeTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxUnauthenticatedConnections: number;
    readonly maxConnections: 'auto' | number;
  };
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'; readonly format: 'auto' | 'json' | 'pretty' };
  readonly bans: { readonly clientMessage: string; readonly exposeReason: boolean };
  readonly decisions: { readonly retentionDays: number; readonly retentionBatchSize: number; readonly retentionIdleFactor: number; readonly retentionIntervalSeconds: number };
  readonly credentials: { readonly limitedProxy: { readonly payload: 'deny' | 'allow' } };
}
