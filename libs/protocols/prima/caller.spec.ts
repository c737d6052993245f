import { Dn } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { authorizePrimaCaller } from './caller';
import type { PrimaCallerPolicy } from './caller';
import { decodePrimaRequest } from './decode';
import { encodePrimaResponse } from './encode';
import { PRIMA_DEFAULT_ISSUER } from './profile';
import { saml1Differences } from './test-support/saml1-compare';
import { GK01, JANE, NZ_RESOURCE, V1, V8, v2WithPlainStatement } from './test-support/vectors';

const dn = (text: string): Dn => Dn.parse(text);
const GK02 = '/DC=org/DC=doegrids/OU=Services/CN=gk02.example.edu';
const SE01 = '/DC=org/DC=doegrids/OU=Services/CN=se01.example.edu';

describe('authorizePrimaCaller: default rule (own DN only)', () => {
  it('lets a host ask about its own DN', () => {
    expect(authorizePrimaCaller({ caller: dn(GK01), resource: GK01 })).toEqual({ allowed: true, rule: 'own-dn' });
  });

  it('compares as DNs: RFC 2253 caller rendering, case and %20 in the Resource do not matter', () => {
    expect(authorizePrimaCaller({ caller: dn('CN=gk01.example.edu,OU=Services,DC=doegrids,DC=org'), resource: GK01 }).allowed).toBe(true);
    expect(authorizePrimaCaller({ caller: dn(GK01.toUpperCase()), resource: GK01 }).allowed).toBe(true);
    expect(authorizePrimaCaller({ caller: dn('/C=NZ/O=Example Grid/OU=Example University/CN=gk01.example.edu'), resource: NZ_RESOURCE }).allowed).toBe(true);
  });

  it("refuses a host asking for another host's Resource", () => {
    const verdict = authorizePrimaCaller({ caller: dn(GK02), resource: GK01 });
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toContain(GK01);
  });

  it('refuses a Resource that is a prefix or extension of the caller DN (no substring matching)', () => {
    expect(authorizePrimaCaller({ caller: dn(`${GK01}/CN=proxy`), resource: GK01 }).allowed).toBe(false);
    expect(authorizePrimaCaller({ caller: dn(GK01), resource: '/DC=org/DC=doegrids/OU=Services' }).allowed).toBe(false);
  });

  it('refuses a Resource that is not a DN', () => {
    const verdict = authorizePrimaCaller({ caller: dn(GK01), resource: 'gk01.example.edu' });
    expect(verdict).toEqual({ allowed: false, reason: 'Resource "gk01.example.edu" is not a DN' });
  });
});

describe('authorizePrimaCaller: host-to-resource rules', () => {
  const policy: PrimaCallerPolicy = { hostToResource: [{ caller: dn(SE01), resources: [dn(GK01)] }] };

  it('lets a listed caller ask for a listed Resource, and nothing else', () => {
    expect(authorizePrimaCaller({ caller: dn(SE01), resource: GK01 }, policy)).toEqual({ allowed: true, rule: 'host-to-resource' });
    expect(authorizePrimaCaller({ caller: dn(SE01), resource: GK02 }, policy).allowed).toBe(false);
    expect(authorizePrimaCaller({ caller: dn(GK02), resource: GK01 }, policy).allowed).toBe(false);
    expect(authorizePrimaCaller({ caller: dn(SE01), resource: SE01 }, policy).allowed).toBe(true);
  });
});

describe('authorizePrimaCaller: GUMS legacy rule (insecure, §1.1)', () => {
  const legacy = (over: Partial<NonNullable<PrimaCallerPolicy['gumsLegacy']>> = {}): PrimaCallerPolicy => ({
    gumsLegacy: { readAll: [], readSelf: [], hostPatterns: [], ...over },
  });

  it('lets a host matching any host pattern ask for any Resource (the hole the default closes)', () => {
    const policy = legacy({ hostPatterns: [/^(\/[^=]*=[^=]*)*\/CN=[^./=]*\.example\.edu(\/[^=]*=[^=]*)*$/g] });
    expect(authorizePrimaCaller({ caller: dn(GK02), resource: GK01 }, policy)).toEqual({ allowed: true, rule: 'gums-legacy:host-pattern' });
    // Twice, so a global flag's lastIndex cannot make the second call differ.
    expect(authorizePrimaCaller({ caller: dn(GK02), resource: GK01 }, policy).allowed).toBe(true);
    expect(authorizePrimaCaller({ caller: dn('/DC=org/CN=elsewhere.org'), resource: GK01 }, policy).allowed).toBe(false);
  });

  it('lets a caller whose DN string contains the Resource ask (indexOf, as GUMS did)', () => {
    expect(authorizePrimaCaller({ caller: dn(`${GK01}/CN=12345`), resource: GK01 }, legacy())).toEqual({ allowed: true, rule: 'gums-legacy:dn-contains-host' });
  });

  it('honours readAll, and readSelf only for the caller asking about itself', () => {
    expect(authorizePrimaCaller({ caller: dn(GK02), resource: GK01 }, legacy({ readAll: [dn(GK02)] }))).toEqual({ allowed: true, rule: 'gums-legacy:read-all' });
    const self = legacy({ readSelf: [dn(JANE)] });
    expect(authorizePrimaCaller({ caller: dn(JANE), resource: GK01, subject: dn(JANE) }, self)).toEqual({ allowed: true, rule: 'gums-legacy:read-self' });
    expect(authorizePrimaCaller({ caller: dn(JANE), resource: GK01, subject: dn('/DC=org/CN=Other') }, self).allowed).toBe(false);
  });

  it('still refuses a caller none of the rules cover', () => {
    expect(authorizePrimaCaller({ caller: dn(GK02), resource: GK01 }, legacy()).allowed).toBe(false);
  });
});

describe('a caller asking for another host: answered Deny as GUMS did', () => {
  it('V1 from gk02 is refused and the answer is the V3 Deny with gk02 as Recipient', () => {
    const decoded = decodePrimaRequest(V1);
    if (!decoded.ok || decoded.value.kind !== 'query') throw new Error('V1 must decode to a query');
    const verdict = authorizePrimaCaller({ caller: dn(GK02), resource: decoded.value.resource, ...(decoded.value.request.subject.assertedDn === undefined ? {} : { subject: decoded.value.request.subject.assertedDn }) });
    expect(verdict.allowed).toBe(false);
    const deny: AuthzResult = { decisionId: 'd', decision: 'Deny', status: 'ok', reasons: [verdict.allowed ? '' : verdict.reason] };
    const out = encodePrimaResponse(decoded.value, deny, { issuer: PRIMA_DEFAULT_ISSUER, now: new Date(), idGenerator: () => 'e0', recipient: dn(GK02) });
    expect(saml1Differences(v2WithPlainStatement('Deny').replace(`Recipient="${GK01}"`, `Recipient="${GK02}"`), out)).toEqual([]);
  });

  it('V8 from the host it names is allowed (%20 decoded before comparing)', () => {
    const decoded = decodePrimaRequest(V8);
    if (!decoded.ok || decoded.value.kind !== 'query') throw new Error('V8 must decode to a query');
    expect(authorizePrimaCaller({ caller: dn('/C=NZ/O=Example Grid/OU=Example University/CN=gk01.example.edu'), resource: decoded.value.resource }).allowed).toBe(true);
  });
});
