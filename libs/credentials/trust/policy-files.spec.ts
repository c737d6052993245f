import { describe, expect, it } from 'vitest';
import { globusPatternMatches, namespacePatternMatches, parseNamespaces, parseSigningPolicy } from './policy-files';
import { lscCompatibilityWarnings, parseLsc } from './vomsdir';

describe('.signing_policy (§5.4)', () => {
  it('parses the IGTF form with leading blanks, comments and several patterns', () => {
    const text = `# EACL
 access_id_CA      X509         '/DC=org/DC=example/CN=Interop Test CA'
 pos_rights        globus       CA:sign
 cond_subjects     globus       '"/DC=org/DC=example/*" "/O=Other/CN=Exact"'
`;
    expect(parseSigningPolicy(text)).toEqual([
      { caDn: '/DC=org/DC=example/CN=Interop Test CA', positive: true, permit: ['/DC=org/DC=example/*', '/O=Other/CN=Exact'], deny: [] },
    ]);
  });

  it('treats neg_rights and cond_banned_subjects as deny rules (§12.3)', () => {
    const text = `access_id_CA X509 '/CN=CA' pos_rights globus CA:sign cond_subjects globus '"/CN=*"' cond_banned_subjects globus '"/CN=bad*"'
access_id_CA X509 '/CN=CA' neg_rights globus CA:sign cond_subjects globus '"/CN=worse"'`;
    const entries = parseSigningPolicy(text);
    expect(entries.map((e) => e.deny)).toEqual([['/CN=bad*'], ['/CN=worse']]);
  });

  it.each([
    ["access_id_CA X509 '/CN=CA'"],
    ["access_id_CA X509 /CN=CA pos_rights globus CA:sign cond_subjects globus '\"/*\"'"],
    ["access_id_ANYBODY pos_rights globus CA:sign cond_subjects globus '\"/*\"'"],
    ["access_id_CA X509 '/CN=CA' pos_rights globus CA:sign cond_subjects globus '\"/*\""],
  ])('rejects malformed input: %s', (text) => {
    expect(() => parseSigningPolicy(text)).toThrow();
  });

  it('matches with canl semantics: * any run (also empty), ? one character, case-insensitive, aliases', () => {
    expect(globusPatternMatches('/DC=org/DC=example/*', '/DC=org/DC=example/OU=People/CN=Alice')).toBe(true);
    expect(globusPatternMatches('/dc=org/dc=example/*', '/DC=org/DC=example/CN=A')).toBe(true);
    expect(globusPatternMatches('/DC=org/*/OU=People/*', '/DC=org/DC=example/OU=People/CN=A')).toBe(true);
    expect(globusPatternMatches('/DC=org/DC=example/OU=P?ople/*', '/DC=org/DC=example/OU=People/CN=A')).toBe(true);
    expect(globusPatternMatches('/CN=Alice Atlas*', '/CN=Alice Atlas')).toBe(true);
    expect(globusPatternMatches('/DC=org/DC=example/*', '/DC=org/DC=examples/CN=A')).toBe(false);
    expect(globusPatternMatches('/C=X/Email=a@b', '/C=X/emailAddress=a@b')).toBe(true);
    expect(globusPatternMatches('/C=X/CN=a.b', '/C=X/CN=axb')).toBe(false);
  });
});

describe('.namespaces (§5.5)', () => {
  it('parses continued rules, SELF, DENY and the version line', () => {
    const text = `#NAMESPACES-VERSION: 1.0
# comment
TO Issuer "/DC=org/DC=example/CN=Interop Test CA" \\
  PERMIT Subject "/DC=org/DC=example/.*"

to issuer SELF deny subject '/DC=org/DC=example/CN=Bad.*'
`;
    expect(parseNamespaces(text)).toEqual([
      { issuer: '/DC=org/DC=example/CN=Interop Test CA', permit: true, subjectRegex: '/DC=org/DC=example/.*' },
      { issuer: null, permit: false, subjectRegex: '/DC=org/DC=example/CN=Bad.*' },
    ]);
  });

  it('refuses another version and broken rules', () => {
    expect(() => parseNamespaces('#NAMESPACES-VERSION: 2.0\n')).toThrow(/version/);
    expect(() => parseNamespaces('TO Issuer "/CN=x" PERMIT "/CN=.*"')).toThrow();
  });

  it('matches as an anchored case-insensitive regex, or literally for exact DNs with metacharacters', () => {
    expect(namespacePatternMatches('/DC=org/DC=example/.*', '/dc=ORG/DC=example/CN=x')).toBe(true);
    expect(namespacePatternMatches('/DC=org/DC=example/.*', '/DC=org/DC=exampleX/CN=x')).toBe(false);
    expect(namespacePatternMatches('/DC=org/DC=example', '/DC=org/DC=example/CN=x')).toBe(false);
    const literal = '/C=AE/O=Digital Trust L.L.C./CN=DigitalTrust Assured CA G3  [Run by the Issuer]';
    expect(namespacePatternMatches(literal, '/C=AE/O=Digital Trust L.L.C./CN=DigitalTrust Assured CA G3 [Run by the Issuer]')).toBe(true);
    expect(namespacePatternMatches('/CN=(unclosed', '/CN=(unclosed')).toBe(true);
    expect(namespacePatternMatches('/CN=(unclosed.*', '/CN=(unclosed-x')).toBe(false);
    // Remembered as invalid, it keeps matching nothing (fail closed) when asked again.
    expect(namespacePatternMatches('/CN=(unclosed.*', '/CN=(unclosed-x')).toBe(false);
  });
});

describe('.lsc (§6.5)', () => {
  it('reads quoted, indented lines, skips comments and splits on either separator', () => {
    const text = '# c\n "/CN=host"\r\n\t/CN=CA\n------ NEXT CHAIN ------\n/CN=h2\n/CN=ca2\n------NEXT CHAIN------\n/CN=h3\n/CN=ca3\n';
    expect(parseLsc(text)).toEqual([
      ['/CN=host', '/CN=CA'],
      ['/CN=h2', '/CN=ca2'],
      ['/CN=h3', '/CN=ca3'],
    ]);
    expect(lscCompatibilityWarnings(text)).toEqual([
      'comment lines are read as DNs by C VOMS',
      'separator "------NEXT CHAIN------" is not the C VOMS spelling',
    ]);
  });
});
