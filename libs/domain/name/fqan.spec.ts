import { describe, expect, it } from 'vitest';
import { Fqan } from './fqan';

describe('Fqan (mapping.md §1.2, policy-language.md §5.2)', () => {
  it('reads long and short forms to the same value', () => {
    const long = Fqan.parse('/atlas/Role=NULL/Capability=NULL');
    const short = Fqan.parse('/atlas');
    expect(long.equals(short)).toBe(true);
    expect(short.toLong()).toBe('/atlas/Role=NULL/Capability=NULL');
    expect(long.toShort()).toBe('/atlas');
  });

  it('keywords are case-insensitive, values case-sensitive, trailing slash dropped', () => {
    expect(Fqan.parse('/atlas/role=pilot').equals(Fqan.parse('/atlas/Role=pilot/Capability=NULL'))).toBe(true);
    expect(Fqan.parse('/atlas/Role=Pilot').equals(Fqan.parse('/atlas/Role=pilot'))).toBe(false);
    expect(Fqan.parse('/atlas/prod/').group).toBe('/atlas/prod');
    expect(Fqan.parse('/atlas/prod/Role=production').vo).toBe('atlas');
  });

  it('does not treat a role as matching a different group', () => {
    expect(Fqan.parse('/atlas').equals(Fqan.parse('/atlas/Role=pilot'))).toBe(false);
    expect(Fqan.parse('/atlas').equals(Fqan.parse('/atlas/prod'))).toBe(false);
  });

  it('rejects malformed FQANs', () => {
    for (const bad of ['atlas', '/', '/atlas/Foo=bar', '/atlas/Role=a/Role=b', '/atlas/Role=x/sub', '//atlas']) {
      expect(() => Fqan.parse(bad), bad).toThrow();
    }
  });
});
