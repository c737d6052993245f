import type { MappingConfig } from '@gridauthz/mapping';

/**
 * The mapping configuration of the development site (`gridauthz serve --dev`, the end-to-end tests): an atlas
 * pool with production and pilot variants, a dteam pool, and the dev host and pilot owner whitelisted to ask
 * for payload mappings. Real sites import theirs (grid-mapfile, groupmapfile, gridmapdir) instead.
 */
export function devMappingConfig(names: { readonly hostDn: string; readonly pilotDn: string }): MappingConfig {
  return {
    groups: [
      { name: 'atlas', gid: 5000 },
      { name: 'atlasprd', gid: 5001 },
      { name: 'atlaspilot', gid: 5002 },
      { name: 'dteam', gid: 5003 },
    ],
    pools: [
      { id: 'atlas', kind: 'user', members: { kind: 'range', prefix: 'atlas', count: 50, firstUid: 61001, width: 3, gid: 5000, firstIndex: 1 } },
      { id: 'atlasprd', kind: 'user', members: { kind: 'range', prefix: 'atlasprd', count: 10, firstUid: 62001, width: 3, gid: 5001, firstIndex: 1 } },
      { id: 'atlaspilot', kind: 'pilot', members: { kind: 'range', prefix: 'atlaspil', count: 10, firstUid: 63001, width: 3, gid: 5002, firstIndex: 1 } },
      { id: 'dteam', kind: 'user', members: { kind: 'range', prefix: 'dteam', count: 20, firstUid: 64001, width: 3, gid: 5003, firstIndex: 1 } },
    ],
    rules: [
      { id: 'dev:atlas-pilot', subject: { kind: 'fqan', pattern: '/atlas/Role=pilot' }, account: { kind: 'pool', poolId: 'atlaspilot' }, groups: ['atlaspilot'] },
      { id: 'dev:atlas-production', subject: { kind: 'fqan', pattern: '/atlas/Role=production' }, account: { kind: 'pool', poolId: 'atlasprd' }, groups: ['atlasprd'] },
      { id: 'dev:atlas', subject: { kind: 'fqan', pattern: '/atlas' }, account: { kind: 'pool', poolId: 'atlas' }, groups: ['atlas'] },
      // Groups only: members of /atlas/production also get the atlasprd group as a secondary gid.
      { id: 'dev:atlas-production-group', subject: { kind: 'fqan', pattern: '/atlas/production' }, groups: ['atlasprd'] },
      { id: 'dev:dteam', subject: { kind: 'fqan', pattern: '/dteam' }, account: { kind: 'pool', poolId: 'dteam' }, groups: ['dteam'] },
    ],
    pilotRoles: [{ id: 'dev:atlas-pilot', fqanPattern: '/atlas/Role=pilot', poolId: 'atlaspilot' }],
    payloadCallers: [
      { id: 'dev:host', kind: 'host', dn: names.hostDn },
      { id: 'dev:pilot', kind: 'pilot', dn: names.pilotDn },
    ],
  };
}
