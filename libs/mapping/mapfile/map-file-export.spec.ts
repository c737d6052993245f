import { describe, expect, it } from 'vitest';
import type { Ban } from '../ban/ban';
import type { MappingRule } from '../rule/mapping-rule';
import { exportGridMapfile, exportGroupMapfile, exportLcmapsBanFile } from './map-file-export';
import { importGridMapfile, importGroupMapfile, importLcmapsBanFile } from './map-file-import';

const GRID = `"/DC=ch/DC=cern/OU=Users/CN=Static User" localuser
"/DC=org/DC=example/CN=Alice Smith" .dteam
"/atlas/Role=lcgadmin/Capability=NULL" atlassgm001
"/atlas/Role=pilot" .atlasplt
"/atlas/*" .atlas
`;
const GROUPS = `"/atlas/de" atlasde,atlas
"/atlas/*" atlas
`;
const pools = new Set(['dteam', 'atlasplt', 'atlas']);

describe('map-file export', () => {
  for (const syntax of ['lcmaps', 'argus'] as const) {
    it(`${syntax}: grid-mapfile and groupmapfile round-trip to the same text and rules`, () => {
      const rules = importGridMapfile(GRID, { syntax, source: 'grid-mapfile', pools });
      const groups = importGroupMapfile(GROUPS, { syntax, source: 'groupmapfile', pools });
      if (!rules.ok || !groups.ok) throw new Error('fixture must import');
      const all = [...rules.value.items, ...groups.value.items];
      const grid = exportGridMapfile(all, syntax);
      const group = exportGroupMapfile(all, syntax);
      expect(grid.ok && grid.value).toBe(GRID);
      expect(group.ok && group.value).toBe(GROUPS);
    });
  }

  it('escapes FQAN keys for Argus and refuses keys a syntax cannot carry', () => {
    const rule = (id: string, kind: 'dn' | 'fqan', pattern: string): MappingRule => ({ id, subject: { kind, pattern }, account: { kind: 'pool', poolId: 'x' } });
    const argus = exportGridMapfile([rule('q', 'fqan', '/vo/a"b\\c')], 'argus');
    expect(argus.ok && argus.value).toBe('"/vo/a\\"b\\\\c" .x\n');
    const back = importGridMapfile(argus.ok ? argus.value : '', { syntax: 'argus', source: 's', pools: new Set(['x']) });
    expect(back.ok && back.value.items[0]?.subject.pattern).toBe('/vo/a"b\\c');
    const bad = exportGridMapfile([rule('d', 'dn', '/CN=a\\b'), rule('e', 'dn', '/CN="x"')], 'argus');
    expect(!bad.ok && bad.error.problems.map((p) => p.message)).toEqual(['rule d: Argus strips backslashes from slash-form DN keys']);
    const lcmaps = exportGridMapfile([rule('e', 'dn', '/CN="x"')], 'lcmaps');
    expect(!lcmaps.ok && lcmaps.error.problems[0]?.message).toMatch(/^rule e: a double quote/);
  });

  it('writes active DN bans to an LCMAPS ban file that imports back, skipping CA and VO bans', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const ban = (id: string, kind: Ban['kind'], value: string, expiresAt?: Date): Ban => ({ id, kind, value, reason: 'r', author: 'a', createdAt: t0, ...(expiresAt ? { expiresAt } : {}) });
    const bans = [ban('1', 'dn', '/DC=org/DC=x/CN=Bad Guy'), ban('2', 'dn', '/CN=old', new Date('2026-01-02T00:00:00Z')), ban('3', 'vo', 'atlas'), ban('4', 'fqan', '/atlas/x')];
    const r = exportLcmapsBanFile(bans, 'dn', new Date('2026-02-01T00:00:00Z'));
    expect(r.ok && r.value.text).toBe('"/DC=org/DC=x/CN=Bad Guy"\n');
    expect(r.ok && r.value.skipped.map((b) => b.id)).toEqual(['3']);
    const back = importLcmapsBanFile(r.ok ? r.value.text : '', { kind: 'dn', file: 'f', author: 'a', now: t0 });
    expect(back.ok && back.value.items.map((b) => b.value)).toEqual(['/DC=org/DC=x/CN=Bad Guy']);
  });
});
