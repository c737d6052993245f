import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, checkServeFiles, loadConfig } from './load-config';

const noFile = { file: undefined, env: {} as NodeJS.ProcessEnv };
const load = (env: Record<string, string>, file?: string) => loadConfig({ ...noFile, env: { GRIDAUTHZ_CONFIG: file ?? '', ...env } });
const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('has grid defaults', () => {
    const { config } = load({});
    expect(config.pdp.port).toBe(8443);
    expect(config.pdp.host).toBe('0.0.0.0');
    expect(config.management).toEqual({ host: '127.0.0.1', port: 9180 });
    expect(config.tls.certFile).toBe('/etc/grid-security/hostcert.pem');
    expect(config.trust.caDir).toBe('/etc/grid-security/certificates');
    expect(config.trust.vomsDir).toBe('/etc/grid-security/vomsdir');
    expect(config.database.url).toBeUndefined();
  });

  it('takes GRIDAUTHZ_* variables over the file, and the file over defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-config-'));
    const file = join(dir, 'gridauthz.yaml');
    writeFileSync(file, 'pdp:\n  port: 9443\n  host: 127.0.0.1\ntrust:\n  caDir: certs\n');
    const { config } = load({ GRIDAUTHZ_PDP_PORT: '10443' }, file);
    expect(config.pdp.port).toBe(10443);
    expect(config.pdp.host).toBe('127.0.0.1');
    expect(config.trust.caDir).toBe(join(process.cwd(), 'certs'));
  });

  it('stops on a port that is not a number, naming the key and where the value came from', () => {
    expect(messageOf(() => load({ GRIDAUTHZ_PDP_PORT: 'abc' }))).toMatch(/pdp\.port \(from GRIDAUTHZ_PDP_PORT\): .*port.*"abc"/);
    expect(messageOf(() => load({ GRIDAUTHZ_MANAGEMENT_PORT: '70000' }))).toMatch(/management\.port/);
  });

  it('refuses unknown keys in the file rather than ignoring a typo', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-config-'));
    const file = join(dir, 'gridauthz.yaml');
    writeFileSync(file, 'pdp:\n  prot: 9443\n');
    expect(messageOf(() => load({}, file))).toMatch(/pdp\.prot .*unknown configuration key/);
  });

  it('refuses a file that is not YAML, and a named file that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-config-'));
    const file = join(dir, 'gridauthz.yaml');
    writeFileSync(file, 'pdp: [unclosed\n');
    expect(messageOf(() => load({}, file))).toMatch(/gridauthz\.yaml/);
    expect(messageOf(() => load({}, join(dir, 'missing.yaml')))).toMatch(/does not exist/);
  });

  it('pdp.publicUrl: unset by default, written canonically, and a URL a PEP could not use stops start-up (docs/authzen.md §1.1)', () => {
    expect(load({}).config.pdp.publicUrl).toBeUndefined();
    expect(load({ GRIDAUTHZ_PDP_PUBLIC_URL: 'https://PDP.example.org:8443/' }).config.pdp.publicUrl).toBe('https://pdp.example.org:8443');
    expect(messageOf(() => load({ GRIDAUTHZ_PDP_PUBLIC_URL: 'http://pdp.example.org:8443' }))).toMatch(/pdp\.publicUrl \(from GRIDAUTHZ_PDP_PUBLIC_URL\): expected an https URL/);
    expect(messageOf(() => load({ GRIDAUTHZ_PDP_PUBLIC_URL: 'https://pdp.example.org/authzen' }))).toMatch(/pdp\.publicUrl .*may not have a path/);
    expect(messageOf(() => load({ GRIDAUTHZ_PDP_PUBLIC_URL: 'pdp.example.org' }))).toMatch(/pdp\.publicUrl .*expected an https URL/);
  });

  it('refuses a database URL that is not postgres://', () => {
    expect(messageOf(() => load({ DATABASE_URL: 'mysql://x' }))).toMatch(/database\.url \(from DATABASE_URL\)/);
  });

  it('names the key of a missing CA directory or host certificate when serving', () => {
    const { config } = load({ GRIDAUTHZ_CA_DIR: '/nonexistent/certificates', GRIDAUTHZ_HOST_CERT: '/nonexistent/hostcert.pem' });
    const message = messageOf(() => checkServeFiles(config));
    expect(message).toMatch(/trust\.caDir: directory \/nonexistent\/certificates does not exist/);
    expect(message).toMatch(/tls\.certFile: file \/nonexistent\/hostcert\.pem/);
  });

  it('reads PRIMA host-to-resource rules from the file and refuses ones whose DNs do not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-config-'));
    const file = join(dir, 'gridauthz.yaml');
    writeFileSync(file, 'prima:\n  hostToResource:\n    - caller: /DC=org/CN=host/door.example.org\n      resources: [/DC=org/CN=host/gk.example.org]\n');
    expect(load({}, file).config.prima.hostToResource).toEqual([{ caller: '/DC=org/CN=host/door.example.org', resources: ['/DC=org/CN=host/gk.example.org'] }]);
    writeFileSync(file, 'prima:\n  hostToResource:\n    - caller: "not a dn"\n      resources: [/DC=org/CN=x]\n');
    expect(messageOf(() => load({}, file))).toMatch(/prima\.hostToResource: "not a dn" is not a DN/);
    expect(messageOf(() => load({ GRIDAUTHZ_PRIMA_GUMS_HOST_PATTERNS: '(unclosed' }))).toMatch(/prima\.gumsLegacy\.hostPatterns/);
    expect(load({ GRIDAUTHZ_PDP_TRUSTED_ASSERTERS: '/DC=org/CN=pepd.example.org;CN=other,DC=org' }).config.pdp.trustedAsserters).toHaveLength(2);
  });

  describe('pdp.callers (docs/callers.md)', () => {
    it('reads a YAML list of {dn, roles} and the same as JSON from the environment', () => {
      const dir = mkdtempSync(join(tmpdir(), 'gridauthz-config-'));
      const file = join(dir, 'gridauthz.yaml');
      writeFileSync(file, 'pdp:\n  callers:\n    - dn: /DC=org/DC=example/CN=host/ce01.example.org\n      roles: [asserter]\n      comment: CE\n    - dn: CN=Pilot,DC=example,DC=org\n      roles: [pilot]\n');
      expect(load({}, file).config.pdp.callers).toEqual([
        { dn: '/DC=org/DC=example/CN=host/ce01.example.org', roles: ['asserter'], comment: 'CE' },
        { dn: 'CN=Pilot,DC=example,DC=org', roles: ['pilot'] },
      ]);
      const env = load({ GRIDAUTHZ_PDP_CALLERS: JSON.stringify([{ dn: '/DC=org/CN=Pilot', roles: ['pilot', 'asserter'] }]) });
      expect(env.config.pdp.callers).toEqual([{ dn: '/DC=org/CN=Pilot', roles: ['pilot', 'asserter'] }]);
    });

    it('stops on an unknown role, a missing role and a DN that does not parse', () => {
      expect(messageOf(() => load({ GRIDAUTHZ_PDP_CALLERS: JSON.stringify([{ dn: '/DC=org/CN=x', roles: ['admin'] }]) }))).toMatch(/pdp\.callers/);
      expect(messageOf(() => load({ GRIDAUTHZ_PDP_CALLERS: JSON.stringify([{ dn: '/DC=org/CN=x', roles: [] }]) }))).toMatch(/pdp\.callers/);
      expect(messageOf(() => load({ GRIDAUTHZ_PDP_CALLERS: JSON.stringify([{ dn: 'not a dn', roles: ['pilot'] }]) }))).toMatch(/pdp\.callers: "not a dn" is not a DN/);
    });
  });

  it('lease names and lease expiry: defaults keep today\'s behaviour, values come from the file, bad ones stop start-up', () => {
    const { config } = load({});
    expect(config.mapping).toEqual({ conventions: 'argus', leaseNames: 'auto', leaseExpiry: { idleMs: undefined, intervalMs: 3_600_000 } });
    const dir = mkdtempSync(join(tmpdir(), 'gridauthz-config-'));
    const file = join(dir, 'gridauthz.yaml');
    writeFileSync(file, 'mapping:\n  conventions: lcmaps\n  leaseNames: dn-primary-group\n  leaseExpiry:\n    idle: 10d\n    interval: 15m\n');
    expect(load({}, file).config.mapping).toEqual({ conventions: 'lcmaps', leaseNames: 'dn-primary-group', leaseExpiry: { idleMs: 240 * 3_600_000, intervalMs: 900_000 } });
    expect(load({ GRIDAUTHZ_LEASE_EXPIRY_IDLE: '240h' }).config.mapping.leaseExpiry.idleMs).toBe(240 * 3_600_000);
    expect(messageOf(() => load({ GRIDAUTHZ_MAPPING_LEASE_NAMES: 'dn-primary' }))).toMatch(/mapping\.leaseNames/);
    expect(messageOf(() => load({ GRIDAUTHZ_LEASE_EXPIRY_IDLE: '30m' }))).toMatch(/mapping\.leaseExpiry\.idle .*at least 1h/);
    expect(messageOf(() => load({ GRIDAUTHZ_LEASE_EXPIRY_IDLE: '10 days' }))).toMatch(/mapping\.leaseExpiry\.idle/);
    expect(messageOf(() => load({ GRIDAUTHZ_LEASE_EXPIRY_INTERVAL: '0s' }))).toMatch(/mapping\.leaseExpiry\.interval/);
  });

  it('has overload limits with safe defaults and refuses nonsense values, naming the key', () => {
    const { config } = load({});
    expect(config.limits).toEqual({
      requestDeadlineMs: 5000,
      maxConcurrentDecisions: 256,
      expensiveBodyBytes: 32768,
      maxExpensivePerClient: 1,
      maxXmlElements: 2000,
      handshakeTimeoutMs: 5000,
      requestTimeoutMs: 10000,
      maxUnauthenticatedConnections: 256,
      maxConnections: 'auto',
    });
    expect(load({ GRIDAUTHZ_MAX_CONNECTIONS: '900' }).config.limits.maxConnections).toBe(900);
    expect(messageOf(() => load({ GRIDAUTHZ_REQUEST_DEADLINE_MS: '10' }))).toMatch(/limits\.requestDeadlineMs \(from GRIDAUTHZ_REQUEST_DEADLINE_MS\): expected at least 100 ms/);
    expect(messageOf(() => load({ GRIDAUTHZ_MAX_CONCURRENT_DECISIONS: '0' }))).toMatch(/limits\.maxConcurrentDecisions/);
    expect(messageOf(() => load({ GRIDAUTHZ_MAX_CONNECTIONS: 'lots' }))).toMatch(/limits\.maxConnections/);
  });
});
