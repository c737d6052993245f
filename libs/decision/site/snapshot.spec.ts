import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { ARGUS_SETTINGS, type Ban, type CallerEntry, type MappingConfig } from '@gridauthz/mapping';
import { MAPPING, PERMIT_ALL } from '../decision.testkit';
import { SiteSnapshot, type SiteSources, type StoredPolicy } from './snapshot';

const CE = Dn.fromSlash('/DC=org/CN=host/ce.example.org');
const OLD_PILOT = Dn.fromSlash('/DC=org/CN=Old Pilot');

function sources() {
  const state: { policy?: StoredPolicy; mapping: MappingConfig; bans: Ban[]; callers: CallerEntry[]; badRows: { dn: string; role: string }[] } = {
    mapping: MAPPING,
    bans: [],
    callers: [],
    badRows: [],
  };
  const ports: SiteSources = {
    activePolicy: async () => state.policy,
    mapping: async () => state.mapping,
    activeBans: async () => state.bans,
    callers: async (onBadRow) => {
      for (const row of state.badRows) onBadRow(row, 'not a DN');
      return state.callers;
    },
  };
  const errors: string[] = [];
  const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (_o: object, message: string) => void errors.push(message) };
  const snapshot = new SiteSnapshot(ports, { mapping: ARGUS_SETTINGS, configCallers: [{ dn: CE, role: 'asserter', source: 'config' }], accountObligation: 'required' }, log);
  return { state, snapshot, errors };
}

const ready = async (snapshot: SiteSnapshot) => Object.fromEntries(await Promise.all(snapshot.readiness().map(async (r) => [r.name, await r.check()] as const)));

describe('SiteSnapshot: reload, keep the previous version on failure, readiness', () => {
  it('is not ready until a policy and a mapping configuration are loaded, and says why', async () => {
    const { state, snapshot } = sources();
    snapshot.explainNoPolicy('no site policy: no .spl file in /etc/gridauthz/policies');
    expect(await ready(snapshot)).toEqual({
      policy: { ok: false, detail: 'no site policy: no .spl file in /etc/gridauthz/policies' },
      mapping: { ok: false, detail: 'no mapping configuration loaded' },
    });
    state.policy = { label: 'version 1 (abc)', source: 'policy-version-1', text: PERMIT_ALL };
    await snapshot.reload();
    expect(await ready(snapshot)).toEqual({ policy: { ok: true, detail: 'policy version 1 (abc)' }, mapping: { ok: true, detail: '2 pools, 2 rules' } });
  });

  it('keeps the previous policy when the active one no longer compiles, and the previous mapping likewise', async () => {
    const { state, snapshot, errors } = sources();
    state.policy = { label: 'v1', source: 'p1', text: PERMIT_ALL };
    await snapshot.reload();
    const first = snapshot.policy();
    const firstMapping = snapshot.mapping();
    state.policy = { label: 'v2', source: 'p2', text: 'resource ".*" { action' };
    state.mapping = { ...MAPPING, rules: [{ id: 'x', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'nowhere' } }] };
    await snapshot.reload(['policy', 'mapping']);
    expect(snapshot.policy()).toBe(first);
    expect(snapshot.mapping()).toBe(firstMapping);
    expect(errors).toEqual(['active policy does not compile; keeping the previous one', 'mapping configuration does not compile; keeping the previous one']);
    // A later good version replaces it.
    state.policy = { label: 'v3', source: 'p3', text: PERMIT_ALL };
    await snapshot.reload(['policy']);
    expect(snapshot.policy()).not.toBe(first);
  });

  it('reloads only the topics asked for: bans at once, callers with the settings, the table and the legacy whitelist', async () => {
    const { state, snapshot, errors } = sources();
    state.bans = [{ id: 'b1', kind: 'vo', value: 'atlas', reason: 'r', author: 'a', createdAt: new Date(0) }];
    await snapshot.reload(['mapping']);
    expect(snapshot.bans()).toEqual([]);
    await snapshot.reload(['ban']);
    expect(snapshot.bans().map((b) => b.id)).toEqual(['b1']);

    state.mapping = { ...MAPPING, payloadCallers: [{ id: 'old', kind: 'pilot', dn: OLD_PILOT.toSlash() }] };
    state.callers = [{ dn: Dn.fromSlash('/DC=org/CN=Pilot'), role: 'pilot', source: 'database' }];
    state.badRows = [{ dn: 'garbage', role: 'pilot' }];
    await snapshot.reload(['mapping', 'caller']);
    expect(snapshot.callers().entries.map((e) => [e.dn.toSlash(), e.role, e.source])).toEqual([
      ['/DC=org/CN=host/ce.example.org', 'asserter', 'config'],
      ['/DC=org/CN=Pilot', 'pilot', 'database'],
      ['/DC=org/CN=Old Pilot', 'pilot', 'legacy'],
    ]);
    expect(errors).toEqual(['caller row does not parse as a DN; ignored']);
    expect(snapshot.accountObligation()).toBe('required');
  });
});
