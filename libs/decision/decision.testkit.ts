/** A small in-memory site for the decision's unit tests: policy text, a two-pool mapping, callers, bans. */
import { type AuthzRequest, Dn, Fqan, type Subject } from '@gridauthz/domain';
import { ARGUS_SETTINGS, type Ban, type CallerEntry, CallerModel, compileMappingConfig, type HostRules, type MappingConfig } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import { Decider } from './decide';
import { InMemoryDecisionStorage } from './in-memory-storage';
import type { DecisionConfiguration, SubjectVerifier, TokenVerifier } from './ports';
import type { AccountObligationMode } from './stages/obligations';

export const CE = Dn.fromSlash('/DC=org/DC=example/CN=host/ce01.example.org');
export const PILOT = Dn.fromSlash('/DC=org/DC=example/CN=Pilot');
export const ALICE = Dn.fromSlash('/DC=org/DC=example/CN=Alice');
export const BOB = Dn.fromSlash('/DC=org/DC=example/CN=Bob');

/** The atlas and dteam pools, `poolSize` accounts each (atlas001…, dteam001…). */
export const mappingWith = (poolSize: number): MappingConfig => ({
  pools: [
    { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: poolSize, firstUid: 7001, width: 3, gid: 5000 } },
    { id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: poolSize, firstUid: 8001, width: 3, gid: 5003 } },
  ],
  groups: [
    { name: 'atlas', gid: 5000 },
    { name: 'dteam', gid: 5003 },
  ],
  rules: [
    { id: 'atlas', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' } },
    { id: 'dteam', subject: { kind: 'fqan', pattern: '/dteam' }, account: { kind: 'pool', poolId: 'dteam' } },
  ],
  pilotRoles: [],
  payloadCallers: [],
});

/** Two accounts a pool: small enough that tests can exhaust one. */
export const MAPPING: MappingConfig = mappingWith(2);

export const PERMIT_ALL = 'resource ".*" {\n  action ".*" {\n    rule permit { vo = "atlas" }\n    rule permit { vo = "dteam" }\n  }\n}\n';

export const subjectOf = (dn: Dn, ...fqans: string[]): Subject => ({
  dn,
  issuerDns: [],
  fqans: fqans.map((f) => Fqan.parse(f)),
  vos: [...new Set(fqans.map((f) => Fqan.parse(f).vo))],
  limited: false,
  droppedAttributes: [],
});

export interface TestSiteOptions {
  readonly policy?: string;
  readonly callers?: readonly CallerEntry[];
  readonly hostRules?: HostRules;
  readonly bans?: readonly Ban[];
  readonly accountObligation?: AccountObligationMode;
  /** Chains are stand-ins: the verifier knows them by their text. */
  readonly chains?: Readonly<Record<string, Subject>>;
  readonly tokenVerifier?: TokenVerifier;
  readonly noMapping?: boolean;
  readonly noPolicy?: boolean;
  /** Accounts in each pool; default 2 (MAPPING). */
  readonly poolSize?: number;
}

export function testSite(options: TestSiteOptions = {}) {
  const mapping = compileMappingConfig(options.poolSize === undefined ? MAPPING : mappingWith(options.poolSize), ARGUS_SETTINGS);
  if (!mapping.ok) throw new Error(mapping.error.detail);
  const policy = parsePolicy(options.policy ?? PERMIT_ALL, 'test.spl');
  if (!policy.ok) throw new Error(JSON.stringify(policy.error.diagnostics));
  const callers = CallerModel.of(options.callers ?? [{ dn: CE, role: 'asserter', source: 'config' }, { dn: PILOT, role: 'pilot', source: 'config' }], options.hostRules ?? {});
  const configuration: DecisionConfiguration = {
    policy: () => (options.noPolicy ? undefined : policy.value),
    mapping: () => (options.noMapping ? undefined : mapping.value),
    bans: () => options.bans ?? [],
    callers: () => callers,
    ...(options.accountObligation ? { accountObligation: () => options.accountObligation ?? 'auto' } : {}),
  };
  const chains = options.chains ?? {};
  const verifier: SubjectVerifier = {
    verify: (chain) => {
      const subject = chains[chain[0]?.toString() ?? ''];
      return subject ? { ok: true, value: subject } : { ok: false, error: { code: 'CRED_CHAIN_UNTRUSTED', detail: 'unknown test chain' } };
    },
  };
  const storage = new InMemoryDecisionStorage([...mapping.value.pools.values()]);
  const errors: string[] = [];
  let n = 0;
  const decider = new Decider({
    verifier,
    ...(options.tokenVerifier ? { tokenVerifier: options.tokenVerifier } : {}),
    configuration,
    storage,
    newId: () => `d-${(n += 1)}`,
    monotonicMs: () => 0,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_o, message) => void errors.push(message) },
  });
  return { decider, storage, errors, callers };
}

export const chain = (name: string): Buffer[] => [Buffer.from(name)];

/** A question from `caller` (default the CE, a trusted asserter) asserting `dn` with `fqans`. */
export function asserted(dn: Dn, fqans: readonly string[], over: Partial<AuthzRequest> = {}): AuthzRequest {
  return {
    dialect: 'grid-wn',
    accountExpected: true,
    caller: { dn: CE, viaProxy: false },
    subject: { assertedDn: dn, assertedFqans: fqans.map((f) => Fqan.parse(f)) },
    resource: 'http://authz-interop.org/xacml/resource/resource-type/wn',
    action: 'http://glite.org/xacml/action/execute',
    obligationsSupported: [],
    environment: {},
    defects: [],
    ...over,
  };
}

export const at = (seconds: number): Date => new Date(Date.UTC(2026, 10, 23, 12, 0, seconds));
