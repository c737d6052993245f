import { describe, expect, it } from 'vitest';
import { banTarget } from './ban.command';
import { ruleSubject } from './rule.command';

// The token forms of `ban add` and `rule add` as docs/mapping-tokens.md §3 and §4 write them.
const ISS = 'https://atlas-auth.web.cern.ch/';

describe('ban add token flags', () => {
  it('--issuer alone, with --subject, with --token-group', () => {
    expect(banTarget(undefined, undefined, { issuer: ISS })).toEqual({ kind: 'issuer', value: ISS });
    expect(banTarget(undefined, undefined, { issuer: ISS, subject: 'u-1' })).toEqual({ kind: 'token', issuer: ISS, value: 'u-1' });
    expect(banTarget(undefined, undefined, { issuer: ISS, tokenGroup: '/atlas' })).toEqual({ kind: 'token-group', issuer: ISS, value: '/atlas' });
    expect(banTarget('dn', '/CN=x', {})).toEqual({ kind: 'dn', value: '/CN=x' });
  });

  it('refuses a subject or group without its issuer, and mixed forms', () => {
    expect(() => banTarget(undefined, undefined, { subject: 'u-1' })).toThrow(/need --issuer/);
    expect(() => banTarget('dn', '/CN=x', { issuer: ISS })).toThrow(/not both/);
    expect(() => banTarget(undefined, undefined, { issuer: ISS, subject: 'u', tokenGroup: '/g' })).toThrow(/not both/);
    expect(() => banTarget('token', 'u-1', {})).toThrow(/kind must be/);
  });
});

describe('rule add token flags', () => {
  it('--issuer with --subject or --token-group, or alone', () => {
    expect(ruleSubject({ issuer: ISS, subject: 'u-1' })).toEqual({ kind: 'token', issuer: ISS, pattern: 'u-1' });
    expect(ruleSubject({ issuer: ISS, tokenGroup: '/atlas' })).toEqual({ kind: 'token-group', issuer: ISS, pattern: '/atlas' });
    expect(ruleSubject({ issuer: ISS })).toEqual({ kind: 'issuer', pattern: ISS });
    expect(ruleSubject({ fqan: '/atlas' })).toEqual({ kind: 'fqan', pattern: '/atlas' });
  });

  it('refuses a subject without an issuer, and two forms at once', () => {
    expect(() => ruleSubject({ subject: 'u-1' })).toThrow(/need --issuer/);
    expect(() => ruleSubject({ dn: '/CN=x', issuer: ISS })).toThrow(/exactly one/);
    expect(() => ruleSubject({})).toThrow(/exactly one/);
  });
});
