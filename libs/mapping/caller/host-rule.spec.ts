import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { CallerModel } from './caller';
import type { HostRules } from './host-rule';

// PRIMA's Resource rule (prima-saml1.md §1.1, §11), asked through the caller model as the caller stage asks it.
const dn = (text: string): Dn => Dn.parse(text);
const GK01 = '/DC=org/DC=doegrids/OU=Services/CN=gk01.example.edu';
const GK02 = '/DC=org/DC=doegrids/OU=Services/CN=gk02.example.edu';
const SE01 = '/DC=org/DC=doegrids/OU=Services/CN=se01.example.edu';
const JANE = '/DC=org/DC=doegrids/OU=People/CN=Jane Doe 12345';
const ask = (rules: HostRules, caller: string, host: string, subject?: string) => CallerModel.of([], rules).mayAskForHost(dn(caller), host, subject === undefined ? undefined : dn(subject));

describe('CallerModel.mayAskForHost: default rule (own DN only)', () => {
  it('lets a host ask about its own DN', () => {
    expect(ask({}, GK01, GK01)).toEqual({ allowed: true, rule: 'own-dn' });
  });

  it('compares as DNs: RFC 2253 caller rendering and case do not matter', () => {
    expect(ask({}, 'CN=gk01.example.edu,OU=Services,DC=doegrids,DC=org', GK01).allowed).toBe(true);
    expect(ask({}, GK01.toUpperCase(), GK01).allowed).toBe(true);
    expect(ask({}, '/C=NZ/O=Example Grid/OU=Example University/CN=gk01.example.edu', '/C=NZ/O=Example Grid/OU=Example University/CN=gk01.example.edu').allowed).toBe(true);
  });

  it("refuses a host asking for another host's Resource, naming it", () => {
    const verdict = ask({}, GK02, GK01);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toContain(GK01);
  });

  it('refuses a Resource that is a prefix or extension of the caller DN (no substring matching)', () => {
    expect(ask({}, `${GK01}/CN=proxy`, GK01).allowed).toBe(false);
    expect(ask({}, GK01, '/DC=org/DC=doegrids/OU=Services').allowed).toBe(false);
  });

  it('refuses a Resource that is not a DN', () => {
    expect(ask({}, GK01, 'gk01.example.edu')).toEqual({ allowed: false, reason: 'Resource "gk01.example.edu" is not a DN' });
  });
});

describe('CallerModel.mayAskForHost: host-to-resource rules', () => {
  const rules: HostRules = { hostToResource: [{ caller: dn(SE01), resources: [dn(GK01)] }] };

  it('lets a listed caller ask for a listed Resource, and nothing else', () => {
    expect(ask(rules, SE01, GK01)).toEqual({ allowed: true, rule: 'host-to-resource' });
    expect(ask(rules, SE01, GK02).allowed).toBe(false);
    expect(ask(rules, GK02, GK01).allowed).toBe(false);
    expect(ask(rules, SE01, SE01).allowed).toBe(true);
  });
});

describe('CallerModel.mayAskForHost: GUMS legacy rule (insecure, prima-saml1.md §1.1)', () => {
  const legacy = (over: Partial<NonNullable<HostRules['gumsLegacy']>> = {}): HostRules => ({ gumsLegacy: { readAll: [], readSelf: [], hostPatterns: [], ...over } });

  it('lets a host matching any host pattern ask for any Resource (the hole the default closes)', () => {
    const rules = legacy({ hostPatterns: [/^(\/[^=]*=[^=]*)*\/CN=[^./=]*\.example\.edu(\/[^=]*=[^=]*)*$/g] });
    expect(ask(rules, GK02, GK01)).toEqual({ allowed: true, rule: 'gums-legacy:host-pattern' });
    // Twice, so a global flag's lastIndex cannot make the second call differ.
    expect(ask(rules, GK02, GK01).allowed).toBe(true);
    expect(ask(rules, '/DC=org/CN=elsewhere.org', GK01).allowed).toBe(false);
  });

  it('lets a caller whose DN string contains the Resource ask (indexOf, as GUMS did)', () => {
    expect(ask(legacy(), `${GK01}/CN=12345`, GK01)).toEqual({ allowed: true, rule: 'gums-legacy:dn-contains-host' });
  });

  it('honours readAll, and readSelf only for the caller asking about itself', () => {
    expect(ask(legacy({ readAll: [dn(GK02)] }), GK02, GK01)).toEqual({ allowed: true, rule: 'gums-legacy:read-all' });
    const self = legacy({ readSelf: [dn(JANE)] });
    expect(ask(self, JANE, GK01, JANE)).toEqual({ allowed: true, rule: 'gums-legacy:read-self' });
    expect(ask(self, JANE, GK01, '/DC=org/CN=Other').allowed).toBe(false);
  });

  it('still refuses a caller none of the rules cover', () => {
    expect(ask(legacy(), GK02, GK01).allowed).toBe(false);
  });
});

describe('CallerModel.mayAsk: token subjects', () => {
  const model = CallerModel.of([
    { dn: dn(GK01), role: 'asserter', source: 'config' },
    { dn: dn(SE01), role: 'pilot', source: 'config' },
  ]);
  it("lets only pilots and asserters present someone's bearer token", () => {
    expect(model.mayAsk(dn(GK01), { kind: 'token' })).toEqual({ allowed: true, as: 'asserter' });
    expect(model.mayAsk(dn(SE01), { kind: 'token' })).toEqual({ allowed: true, as: 'pilot' });
    expect(model.mayAsk(dn(JANE), { kind: 'token' })).toMatchObject({ allowed: false, outcome: 'deny', code: 'MAPPING_CALLER_NOT_WHITELISTED' });
  });
});
