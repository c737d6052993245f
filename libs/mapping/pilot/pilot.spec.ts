import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { compileMappingConfig, type CompiledMappingConfig } from '../config/mapping-config';
import { ARGUS_SETTINGS } from '../rule/mapping-rule';
import { planMapping, type MappingPlan } from '../rule/plan';
import { CallerModel } from '../caller/caller';
import { checkPilotPool, findPilotRole, glexecUserWhiteList } from './pilot';

function config(): CompiledMappingConfig {
  const r = compileMappingConfig(
    {
      pools: [
        { id: 'pilatl', kind: 'pilot', members: { kind: 'range', prefix: 'pilatl', count: 2, firstUid: 8001, width: 2, gid: 5001 } },
        { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 2, firstUid: 6001, width: 3, gid: 5000 } },
      ],
      groups: [
        { name: 'atlas', gid: 5000 },
        { name: 'atlaspil', gid: 5001 },
      ],
      rules: [
        { id: 'pilot', subject: { kind: 'fqan', pattern: '/atlas/Role=pilot' }, account: { kind: 'pool', poolId: 'pilatl' } },
        // A site mistake the pilot check must catch: an ordinary FQAN mapped into the pilot pool.
        { id: 'oops', subject: { kind: 'fqan', pattern: '/atlas/Role=production' }, account: { kind: 'pool', poolId: 'pilatl' } },
        { id: 'users', subject: { kind: 'fqan', pattern: '/atlas/*' }, account: { kind: 'pool', poolId: 'atlas' } },
      ],
      pilotRoles: [{ id: 'atlas-pilot', fqanPattern: '/atlas/Role=pilot', poolId: 'pilatl' }],
      payloadCallers: [
        { id: 'wn', kind: 'host', dn: '/DC=org/DC=example/CN=host/wn01.example.org' },
        { id: 'pilot-owner', kind: 'pilot', dn: 'CN=Pilot Person,OU=Users,DC=cern,DC=ch' },
      ],
    },
    ARGUS_SETTINGS,
  );
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
}

const fq = (...t: string[]): Fqan[] => t.map((x) => Fqan.parse(x));
const dn = Dn.fromSlash('/DC=ch/DC=cern/OU=Users/CN=Pilot Person');
const plan = (c: CompiledMappingConfig, fqans: Fqan[]): MappingPlan => {
  const r = planMapping(c, { dn, fqans });
  if (!r.ok) throw new Error(r.error.detail);
  return r.value;
};

describe('pilot roles (mapping.md §7)', () => {
  it('recognises a pilot credential by its primary FQAN', () => {
    const c = config();
    expect(findPilotRole(c, fq('/atlas/Role=pilot/Capability=NULL', '/atlas'))?.id).toBe('atlas-pilot');
    expect(findPilotRole(c, fq('/atlas', '/atlas/Role=pilot'))).toBeUndefined();
  });

  it('lets a pilot into its pilot pool, but never a payload, nor a non-pilot FQAN', () => {
    const c = config();
    const fqPilot = fq('/atlas/Role=pilot/Capability=NULL');
    expect(checkPilotPool(c, plan(c, fqPilot), fqPilot, 'pilot-or-user')).toEqual({ allowed: true });
    expect(checkPilotPool(c, plan(c, fqPilot), fqPilot, 'payload')).toMatchObject({ allowed: false, code: 'MAPPING_PILOT_POOL_DENIED' });
    const fqProd = fq('/atlas/Role=production');
    expect(checkPilotPool(c, plan(c, fqProd), fqProd, 'pilot-or-user')).toMatchObject({ allowed: false, code: 'MAPPING_PILOT_POOL_DENIED' });
    const fqUser = fq('/atlas');
    expect(checkPilotPool(c, plan(c, fqUser), fqUser, 'payload')).toEqual({ allowed: true });
  });

  it('whitelists payload callers by canonical DN (as the caller model reads the legacy whitelist)', () => {
    const c = config();
    const callers = CallerModel.of(c.payloadCallers.map((p) => ({ dn: p.parsedDn, role: 'pilot' as const, source: 'legacy' as const })));
    const payload = { kind: 'chain' as const, dn: Dn.fromSlash('/DC=org/DC=example/CN=Payload User') };
    expect(callers.mayAsk(Dn.fromSlash('/DC=org/DC=example/CN=host/wn01.example.org'), payload)).toEqual({ allowed: true, as: 'pilot' });
    expect(callers.mayAsk(dn, payload)).toEqual({ allowed: true, as: 'pilot' });
    expect(callers.mayAsk(Dn.fromSlash('/DC=org/DC=example/CN=Someone Else'), payload)).toMatchObject({ allowed: false, code: 'MAPPING_CALLER_NOT_WHITELISTED' });
  });

  it('exports the pilot accounts as a glexec user_white_list', () => {
    expect(glexecUserWhiteList(config())).toBe('pilatl01,pilatl02');
  });
});
