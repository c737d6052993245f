import { Dn, Fqan } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { classifyKey, compilePattern, type CompiledPattern } from './subject-matcher';

const compiled = (kind: 'dn' | 'fqan', pattern: string, patternSyntax: 'lcmaps' | 'argus', wildcards = true): CompiledPattern => {
  const c = compilePattern({ kind, pattern }, { patternSyntax, wildcards });
  if (typeof c === 'string') throw new Error(c);
  return c;
};
const dnMatches = (c: CompiledPattern, dn: string): boolean => c.kind === 'dn' && c.matches(Dn.parse(dn));
const fqanMatches = (c: CompiledPattern, fqan: string): boolean => c.kind === 'fqan' && c.matches(Fqan.parse(fqan));

describe('compilePattern', () => {
  it('lcmaps: byte-exact DNs, globs unless -no_wildcard', () => {
    expect(dnMatches(compiled('dn', '/DC=org/CN=Alice', 'lcmaps'), '/DC=org/CN=alice')).toBe(false);
    expect(dnMatches(compiled('dn', '/DC=org/CN=[ab]x', 'lcmaps'), '/DC=org/CN=ax')).toBe(true);
    expect(dnMatches(compiled('dn', '/DC=org/CN=[ab]x', 'lcmaps', false), '/DC=org/CN=ax')).toBe(false);
    expect(dnMatches(compiled('dn', '/DC=org/CN=[ab]x', 'lcmaps', false), '/DC=org/CN=[ab]x')).toBe(true);
  });

  it('lcmaps: FQANs compare as the credential carried them, so a short key misses the long form', () => {
    expect(fqanMatches(compiled('fqan', '/atlas/Role=pilot', 'lcmaps'), '/atlas/Role=pilot/Capability=NULL')).toBe(false);
    expect(fqanMatches(compiled('fqan', '/atlas/Role=pilot', 'lcmaps'), '/atlas/Role=pilot')).toBe(true);
  });

  it('argus: DNs compare canonically across renderings; FQANs by parsed pattern', () => {
    expect(dnMatches(compiled('dn', 'CN=Alice,DC=org', 'argus'), '/DC=org/CN=alice')).toBe(true);
    expect(fqanMatches(compiled('fqan', '/atlas/Role=pilot', 'argus'), '/atlas/Role=pilot/Capability=NULL')).toBe(true);
    expect(compilePattern({ kind: 'dn', pattern: 'nonsense' }, { patternSyntax: 'argus', wildcards: true })).toMatch(/not a DN/);
  });
});

describe('classifyKey (mapping.md §3.2)', () => {
  it.each([
    ['/DC=org/CN=x', 'dn'],
    ['CN=x,DC=org', 'dn'],
    ['/atlas/Role=pilot', 'fqan'],
    ['/atlas', 'fqan'],
    ['/*', 'fqan'],
  ] as const)('%s → %s', (key, kind) => {
    expect(classifyKey(key)).toBe(kind);
  });
});

describe('compilePattern and slash-ambiguous names (docs/identities.md)', () => {
  const ALICE = '/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas';
  const spliced = Dn.fromRdns([[{ type: 'DC', value: 'org' }], [{ type: 'DC', value: 'gridauthz-dev' }], [{ type: 'OU', value: 'People/CN=Alice Atlas' }]]);
  it("a rule for Alice's text never matches a name whose OpenSSL text is that text", () => {
    expect(spliced.toOpenSslSlash()).toBe(ALICE);
    for (const syntax of ['lcmaps', 'argus'] as const) {
      const rule = compiled('dn', ALICE, syntax);
      expect(rule.kind === 'dn' && rule.matches(Dn.parse(ALICE)), syntax).toBe(true);
      expect(rule.kind === 'dn' && rule.matches(spliced), syntax).toBe(false);
    }
    // A namespace glob still covers it; a rule written for it (RFC 2253 or \x2F) matches it and not Alice.
    const glob = compiled('dn', '/DC=org/DC=gridauthz-dev/*', 'lcmaps');
    expect(glob.kind === 'dn' && glob.matches(spliced)).toBe(true);
    const own = compiled('dn', 'OU=People/CN=Alice Atlas,DC=gridauthz-dev,DC=org', 'argus');
    expect(own.kind === 'dn' && own.matches(spliced)).toBe(true);
    expect(own.kind === 'dn' && own.matches(Dn.parse(ALICE))).toBe(false);
    const ownSlash = compiled('dn', '/DC=org/DC=gridauthz-dev/OU=People\\x2FCN=Alice Atlas', 'lcmaps');
    expect(ownSlash.kind === 'dn' && ownSlash.matches(spliced)).toBe(true);
    expect(ownSlash.kind === 'dn' && ownSlash.matches(Dn.parse(ALICE))).toBe(false);
  });
});
