import { describe, expect, it, vi } from 'vitest';
import { Dn, Fqan, type AuthzRequest } from '@gridauthz/domain';
import { ARGUS_SETTINGS, compileMappingConfig, type CompiledMappingConfig, type MappingConfig } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import { Decider } from './decide';
import { InMemoryDecisionStorage } from './in-memory-storage';
import type { DecisionConfiguration } from './ports';

const mappingConfig: MappingConfig = {
  pools: [{ id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 3, firstUid: 7001, width: 3, gid: 5003 } }],
  groups: [{ name: 'dteam', gid: 5003 }],
  rules: [
    { id: 'dteam', subject: { kind: 'fqan', pattern: '/dteam/*' }, account: { kind: 'pool', poolId: 'dteam' } },
    { id: 'local-admin', subject: { kind: 'dn', pattern: '/DC=org/CN=Root' }, account: { kind: 'static', username: 'dteam003' } },
  ],
  pilotRoles: [],
  payloadCallers: [],
};

function site() {
  const mapping = compileMappingConfig(mappingConfig, ARGUS_SETTINGS);
  if (!mapping.ok) throw new Error(mapping.error.detail);
  const policy = parsePolicy('resource ".*" {\n  action ".*" {\n    rule permit { vo = "dteam" }\n    rule permit { subject = "/DC=org/CN=Root" }\n  }\n}\n', 'test.spl');
  if (!policy.ok) throw new Error(JSON.stringify(policy));
  const configuration: DecisionConfiguration = {
    policy: () => policy.value,
    mapping: (): CompiledMappingConfig => mapping.value,
    bans: () => [],
    // Every caller here asserts for itself as a trusted asserter would; caller rules have their own tests.
    callers: () => ({ mayAsk: () => ({ allowed: true, as: 'asserted' }), mayAskForHost: () => ({ allowed: true, rule: 'test' }) }),
  };
  const storage = new InMemoryDecisionStorage([...mapping.value.pools.values()]);
  let n = 0;
  const decider = new Decider({
    verifier: { verify: () => ({ ok: false, error: { code: 'CRED_UNUSED', detail: 'no chains in these tests' } }) },
    configuration,
    storage,
    newId: () => `d-${(n += 1)}`,
    monotonicMs: () => 0,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { decider, storage };
}

/** A subject the caller asserts for itself (a trusted caller, so no chain is needed here). */
function request(dn: string, ...fqans: string[]): AuthzRequest {
  const subject = Dn.fromSlash(dn);
  return {
    dialect: 'authz-interop',
    accountExpected: true,
    caller: { dn: subject, viaProxy: false },
    subject: { assertedDn: subject, assertedFqans: fqans.map((f) => Fqan.parse(f)) },
    resource: 'wn',
    action: 'execute',
    obligationsSupported: [],
    environment: {},
    defects: [],
  };
}

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, seconds));

describe('Decider: warm and cold Permit paths', () => {
  it('answers a mapped user again from the lease it touched, without a transaction, and records every decision', async () => {
    const { decider, storage } = site();
    const transaction = vi.spyOn(storage, 'transaction');
    const first = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0));
    expect(first.result.account?.username).toBe('dteam001');
    expect(transaction).toHaveBeenCalledTimes(1);
    for (let s = 1; s <= 3; s += 1) {
      const again = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(s));
      expect(again.result).toMatchObject({ decision: 'Permit', account: { username: 'dteam001', uid: 7001, gid: 5003 } });
      expect(again.result.reasons).toContain('mapping:dteam');
    }
    expect(transaction).toHaveBeenCalledTimes(1);
    expect(storage.records.map((r) => [r.decision, r.username])).toEqual(Array(4).fill(['Permit', 'dteam001']));
  });

  it('touches the lease again once the interval has passed, so idle expiry sees the use', async () => {
    const { decider, storage } = site();
    await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0));
    await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(59));
    expect((await storage.leases.list())[0]?.lastUsedAt).toEqual(at(0));
    await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(60));
    expect((await storage.leases.list())[0]?.lastUsedAt).toEqual(at(60));
  });

  it('after a release, takes the account the store now gives, not the one it remembers', async () => {
    const { decider, storage } = site();
    await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0));
    const released = await storage.leases.release('dteam', (await storage.leases.list())[0]?.subjectKey ?? '');
    expect(released?.username).toBe('dteam001');
    // Bob takes the lowest free account, the one Alice held; Alice must get another.
    const bob = await decider.decide(request('/DC=org/CN=Bob', '/dteam'), at(1));
    expect(bob.result.account?.username).toBe('dteam001');
    const alice = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(2));
    expect(alice.result).toMatchObject({ decision: 'Permit', account: { username: 'dteam002' } });
    expect(storage.records.at(-1)?.username).toBe('dteam002');
  });

  it('when another replica re-leased the key meanwhile, answers with that account, not the remembered one', async () => {
    const { decider, storage } = site();
    await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0));
    const aliceKey = (await storage.leases.list())[0]?.subjectKey ?? '';
    await storage.leases.release('dteam', aliceKey);
    await decider.decide(request('/DC=org/CN=Bob', '/dteam'), at(1));
    // Another replica maps Alice first: she now holds dteam002, while this process remembers dteam001.
    const elsewhere = await storage.leases.acquire('dteam', aliceKey, at(1));
    expect(elsewhere.ok && elsewhere.value.account.username).toBe('dteam002');
    const alice = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(2));
    expect(alice.result.account?.username).toBe('dteam002');
    expect(storage.records.at(-1)?.username).toBe('dteam002');
  });

  it('a static account and a subject no rule maps need no transaction', async () => {
    const { decider, storage } = site();
    const transaction = vi.spyOn(storage, 'transaction');
    const root = await decider.decide(request('/DC=org/CN=Root'), at(0));
    expect(root.result).toMatchObject({ decision: 'Permit', account: { username: 'dteam003', uid: 7003 } });
    expect(transaction).not.toHaveBeenCalled();
    expect(storage.records).toHaveLength(1);
  });

  it('fails closed when the record cannot be written: Indeterminate, never Permit', async () => {
    const { decider, storage } = site();
    await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0));
    storage.failNext = new Error('database gone');
    const warm = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(1));
    expect(warm.result).toMatchObject({ decision: 'Indeterminate', status: 'processing-error' });
    expect(warm.result.account).toBeUndefined();
  });
});

describe('Decider: request deadline (docs/operations.md, "Overload and limits")', () => {
  const deadline = (expired: boolean) => {
    const d = { expired, ids: [] as string[], commits: 0, started: (id: string) => void d.ids.push(id), enterCommit: () => (d.commits += 1) > 0 && !d.expired };
    return d;
  };

  it('past the deadline rolls the lease transaction back and records the Indeterminate that was answered', async () => {
    const { decider, storage } = site();
    const d = deadline(false);
    // The deadline passes while the lease is being looked up, i.e. before the commit.
    const acquire = storage.leases.acquire.bind(storage.leases);
    vi.spyOn(storage.leases, 'acquire').mockImplementation(async (...args) => {
      d.expired = true;
      return acquire(...args);
    });
    const late = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0), { deadline: d });
    expect(late.result).toMatchObject({ decision: 'Indeterminate', status: 'processing-error' });
    expect(late.result.account).toBeUndefined();
    expect(late.result.reasons).toContain('OVERLOAD_DEADLINE_EXCEEDED');
    expect(d.ids).toEqual([late.result.decisionId]);
    expect(d.commits).toBe(1);
    expect(storage.records.map((r) => [r.id, r.decision, r.username])).toEqual([[late.result.decisionId, 'Indeterminate', undefined]]);
  });

  it('already past the deadline: takes no lease at all', async () => {
    const { decider, storage } = site();
    const transaction = vi.spyOn(storage, 'transaction');
    const late = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0), { deadline: deadline(true) });
    expect(late.result).toMatchObject({ decision: 'Indeterminate' });
    expect(transaction).not.toHaveBeenCalled();
    expect(await storage.leases.list()).toEqual([]);
  });

  it('a decision within its deadline commits as usual', async () => {
    const { decider, storage } = site();
    const d = deadline(false);
    const ok = await decider.decide(request('/DC=org/CN=Alice', '/dteam'), at(0), { deadline: d });
    expect(ok.result).toMatchObject({ decision: 'Permit', account: { username: 'dteam001' } });
    expect(d.commits).toBe(1);
    expect(storage.records).toHaveLength(1);
  });
});
