import { Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { fqanPatternMatches, parseFqanPattern, type FqanPattern } from './fqan-pattern';
import { globMatch } from './glob';

describe('globMatch (fnmatch, FNM_NOESCAPE, mapping.md §3.1)', () => {
  it.each([
    ['/DC=org/DC=mid*/CN=star', '/DC=org/DC=mid/x/CN=star', true],
    ['/atlas*', '/atlassi/Role=NULL/Capability=NULL', true],
    ['/atlas/*', '/atlas/Role=pilot/Capability=NULL', true],
    ['/atlas/*', '/atlas', false],
    ['/DC=org/DC=q?/CN=qmark', '/DC=org/DC=qa/CN=qmark', true],
    ['/DC=org/DC=q?/CN=qmark', '/DC=org/DC=q/CN=qmark', false],
    ['/DC=org/DC=y/CN=pre*', '/DC=org/DC=y/CN=pre', true],
    ['/DC=org/DC=y/CN=pre*', '/DC=org/DC=y/CN=prefix/CN=proxy', true],
    ['/DC=org/DC=x/CN=*evil*', '/DC=org/DC=x/CN=the evil one', true],
    ['/DC=org/CN=[ab]x', '/DC=org/CN=bx', true],
    ['/DC=org/CN=[!ab]x', '/DC=org/CN=bx', false],
    ['/DC=org/CN=[a-c]x', '/DC=org/CN=cx', true],
    ['/DC=org/CN=[ab', '/DC=org/CN=[ab', true],
    ['/DC=org/CN=a\\"b', '/DC=org/CN=a\\"b', true],
    ['/DC=org/CN=a\\*', '/DC=org/CN=a\\xyz', true],
    ['/atlas/Role=pilot', '/atlas/Role=pilot/Capability=NULL', false],
    ['/ATLAS/*', '/atlas/x', false],
  ])('%s vs %s → %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });
});

describe('Argus FQAN patterns (mapping.md §3.6)', () => {
  const p = (s: string): FqanPattern => {
    const r = parseFqanPattern(s);
    if (typeof r === 'string') throw new Error(r);
    return r;
  };
  const m = (pattern: string, fqan: string): boolean => fqanPatternMatches(p(pattern), Fqan.parse(fqan));

  it('long and short keys match group and role, ignoring capability', () => {
    expect(m('/atlas/Role=pilot/Capability=NULL', '/atlas/Role=pilot/Capability=NULL')).toBe(true);
    expect(m('/atlas/Role=pilot', '/atlas/Role=pilot/Capability=NULL')).toBe(true);
    expect(m('/atlas/Role=pilot', '/atlas/Role=pilot/Capability=x')).toBe(true);
    expect(m('/atlas', '/atlas/Role=NULL/Capability=NULL')).toBe(true);
    expect(m('/atlas', '/atlas/Role=pilot/Capability=NULL')).toBe(false);
  });

  it('/atlas/* is the VO and its subgroups with role NULL only', () => {
    expect(m('/atlas/*', '/atlas/Role=NULL/Capability=NULL')).toBe(true);
    expect(m('/atlas/*', '/atlas/de/Role=NULL/Capability=NULL')).toBe(true);
    expect(m('/atlas/*', '/atlas/Role=hacker/Capability=NULL')).toBe(false);
    expect(m('/atlas/*', '/atlasfoo/Role=NULL/Capability=NULL')).toBe(false);
  });

  it('role wildcards', () => {
    expect(m('/atlas/*/Role=*', '/atlas/de/Role=x/Capability=NULL')).toBe(true);
    expect(m('/atlas/Role=*', '/atlas/Role=x/Capability=NULL')).toBe(true);
    expect(m('/atlas/Role=*', '/atlas/de/Role=x/Capability=NULL')).toBe(false);
  });

  it('rejects patterns Argus rejects', () => {
    for (const bad of ['/atlas*', '/*', '/atlas/*/x', '/atlas/Role=pi*', '/DC=org/CN=x']) {
      expect(typeof parseFqanPattern(bad), bad).toBe('string');
    }
  });
});
