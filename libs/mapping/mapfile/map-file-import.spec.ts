import { describe, expect, it } from 'vitest';
import { importGridMapfile, importGroupMapfile, importLcmapsBanFile } from './map-file-import';

const pools = new Set(['dteam', 'cms', 'lhcb', 'atlas']);
const lcmaps = { syntax: 'lcmaps', source: 'grid-mapfile', pools } as const;
const argus = { syntax: 'argus', source: 'grid-mapfile', pools } as const;

describe('grid-mapfile, LCMAPS syntax (mapping.md §3.1, §8 map-file parser tests)', () => {
  it('reads bare keys, tabs, trailing comments and target lists, keeping file order', () => {
    const r = importGridMapfile(
      ['# comment', '/DC=org/DC=x/CN=nospace .dteam', '\t"/DC=org/DC=x/CN=With Space"\t.cms # trailing comment', '"/DC=org/DC=x/CN=two" .lhcb,.cms', '', '"/atlas/*" .atlas'].join('\n'),
      lcmaps,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.items).toEqual([
      { id: 'grid-mapfile:/DC=org/DC=x/CN=nospace', subject: { kind: 'dn', pattern: '/DC=org/DC=x/CN=nospace' }, account: { kind: 'pool', poolId: 'dteam' } },
      { id: 'grid-mapfile:/DC=org/DC=x/CN=With Space', subject: { kind: 'dn', pattern: '/DC=org/DC=x/CN=With Space' }, account: { kind: 'pool', poolId: 'cms' } },
      { id: 'grid-mapfile:/DC=org/DC=x/CN=two', subject: { kind: 'dn', pattern: '/DC=org/DC=x/CN=two' }, account: { kind: 'pool', poolId: 'lhcb' } },
      { id: 'grid-mapfile:/atlas/*', subject: { kind: 'fqan', pattern: '/atlas/*' }, account: { kind: 'pool', poolId: 'atlas' } },
    ]);
    expect(r.value.warnings).toEqual([{ file: 'grid-mapfile', line: 4, message: 'only the first target ".lhcb" is used; ignored .cms' }]);
  });

  it('keeps backslashes literal and does not end a key at an escaped quote', () => {
    const r = importGridMapfile('"/DC=org/DC=x/CN=a\\"b" .dteam\n', lcmaps);
    expect(r.ok && r.value.items[0]?.subject.pattern).toBe('/DC=org/DC=x/CN=a\\"b');
  });

  it('warns and skips a key without target; a duplicate key is shadowed, with a #2 id', () => {
    const r = importGridMapfile('"/DC=org/DC=x/CN=nomap"\n"/DC=a/CN=d" .dteam\n"/DC=a/CN=d" .cms\n', lcmaps);
    expect(r.ok && r.value.items.map((i) => i.id)).toEqual(['grid-mapfile:/DC=a/CN=d', 'grid-mapfile:/DC=a/CN=d#2']);
    expect(r.ok && r.value.warnings.map((w) => w.line)).toEqual([1, 3]);
  });

  it('reports every bad line with its number and imports nothing', () => {
    const r = importGridMapfile(
      ['"/DC=org/DC=x/CN=ok" .dteam', '/DC=org/DC=x/CN=Alice Smith .dteam', '"/DC=org/DC=x/CN=x" .nosuchpool', '"/DC=org/DC=x/CN=unterminated .dteam', '"/DC=org/CN=y" ghost'].join('\n'),
      { ...lcmaps, accounts: new Set(['localuser']) },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('MAPPING_IMPORT_INVALID');
    expect(r.error.problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'key "/DC=org/DC=x/CN=Alice" is followed by more words; a DN containing spaces must be double-quoted'],
      [3, 'unknown pool "nosuchpool"'],
      [4, 'unterminated quoted key'],
      [5, 'unknown account "ghost"'],
    ]);
    expect(r.error.detail).toContain('grid-mapfile line 2:');
  });
});

describe('grid-mapfile, Argus syntax (mapping.md §3.2)', () => {
  it('requires quoted keys, unescapes them, and refuses comments after targets and duplicate keys', () => {
    const r = importGridMapfile(
      ['/DC=org/DC=x/CN=bare .dteam', '"/DC=org/DC=x/CN=a" .dteam # note', '"CN=b,DC=x,DC=org" .dteam', '"/DC=org/DC=x/CN=B" .cms', '"/atlas*" .atlas', '"/atlas/bad\\q" .cms'].join('\n'),
      argus,
    );
    expect(!r.ok && r.error.problems.map((p) => [p.line, p.message])).toEqual([
      [1, 'key must be double-quoted'],
      [2, 'target ".dteam # note" contains whitespace (comments after targets are not allowed in Argus syntax)'],
      [4, 'duplicate key (first on line 3); Argus refuses the whole file'],
      [5, '"/atlas*": "*" may only be the whole last group component'],
      [6, 'invalid escape "\\q" in key'],
    ]);
  });

  it('accepts long and short FQAN keys side by side and strips backslashes from slash DNs', () => {
    const r = importGridMapfile('"/atlas/Role=pilot/Capability=NULL" .atlas\n"/atlas/Role=pilot" .atlas\n"/DC=org/DC=x/CN=a\\/b" .dteam\n', argus);
    expect(r.ok && r.value.items.map((i) => i.subject.pattern)).toEqual(['/atlas/Role=pilot/Capability=NULL', '/atlas/Role=pilot', '/DC=org/DC=x/CN=a/b']);
  });

  it('is idempotent: the same text gives the same rules', () => {
    const text = '"/atlas" .atlas\n"/DC=org/CN=x" .dteam\n';
    expect(importGridMapfile(text, argus)).toEqual(importGridMapfile(text, argus));
  });
});

describe('groupmapfile', () => {
  it('maps keys to all listed groups and rejects unknown and pool groups', () => {
    const groups = new Set(['atlas', 'atlasde']);
    const good = importGroupMapfile('"/atlas/de" atlasde,atlas\n', { ...argus, source: 'groupmapfile', groups });
    expect(good.ok && good.value.items).toEqual([{ id: 'groupmapfile:/atlas/de', subject: { kind: 'fqan', pattern: '/atlas/de' }, groups: ['atlasde', 'atlas'] }]);
    const bad = importGroupMapfile('"/atlas" nogroup\n"/atlas/de" .pgrp\n', { ...argus, source: 'groupmapfile', groups });
    expect(!bad.ok && bad.error.problems.map((p) => p.line)).toEqual([1, 2]);
  });
});

describe('LCMAPS ban files (mapping.md §4.2)', () => {
  const context = { kind: 'dn', file: 'ban_dn.db', author: 'import', now: new Date('2026-01-01T00:00:00Z') } as const;

  it('needs no target and ignores one if present', () => {
    const r = importLcmapsBanFile('"/DC=org/DC=x/CN=Bad Guy"\n"/DC=org/DC=x/CN=Bad2" anything\n"/DC=org/DC=x/CN=*evil*"\n', context);
    expect(r.ok && r.value.items.map((b) => [b.kind, b.value, b.reason])).toEqual([
      ['dn', '/DC=org/DC=x/CN=Bad Guy', 'imported from ban_dn.db line 1'],
      ['dn', '/DC=org/DC=x/CN=Bad2', 'imported from ban_dn.db line 2'],
      ['dn', '/DC=org/DC=x/CN=*evil*', 'imported from ban_dn.db line 3'],
    ]);
  });

  it('reports unquoted DNs with spaces and keys of the wrong kind by line', () => {
    const r = importLcmapsBanFile('/DC=org/DC=x/CN=Bad Guy\n"/atlas/Role=hacker"\n', context);
    expect(!r.ok && r.error.problems.map((p) => [p.file, p.line])).toEqual([
      ['ban_dn.db', 1],
      ['ban_dn.db', 2],
    ]);
    const fq = importLcmapsBanFile('"/atlas/badgroup/*"\n', { ...context, kind: 'fqan', file: 'ban_fqan.db' });
    expect(fq.ok && fq.value.items[0]?.value).toBe('/atlas/badgroup/*');
  });
});
