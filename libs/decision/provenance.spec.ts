import { describe, expect, it } from 'vitest';
import { Dn, type AuthzRequest } from '@gridauthz/domain';
import type { Ban } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import { Decider } from './decide';
import { InMemoryDecisionStorage } from './in-memory-storage';
import { hostOfDn, requestHost } from './provenance';

const base = (over: Partial<AuthzRequest>): AuthzRequest => ({
  dialect: 'grid-wn',
  accountExpected: true,
  caller: { dn: Dn.fromSlash('/DC=org/DC=example/CN=host/argus.example.org'), viaProxy: false },
  subject: { assertedDn: Dn.fromSlash('/DC=org/CN=Jane') },
  obligationsSupported: [],
  environment: {},
  defects: [],
  ...over,
});

describe('hostOfDn', () => {
  it('takes the host from a host or service certificate CN, lower case, and none from a person', () => {
    expect(hostOfDn(Dn.fromSlash('/DC=org/DC=example/CN=host/WN01.Example.org'))).toBe('wn01.example.org');
    expect(hostOfDn(Dn.parse('CN=ldap/bdii.example.org,DC=example,DC=org'))).toBe('bdii.example.org');
    expect(hostOfDn(Dn.fromSlash('/DC=org/OU=hosts/CN=voms.example.org'))).toBe('voms.example.org');
    expect(hostOfDn(Dn.fromSlash('/DC=org/OU=People/CN=Alice Atlas'))).toBeUndefined();
    expect(hostOfDn(Dn.fromSlash('/DC=org/OU=People/CN=12345'))).toBeUndefined();
    expect(hostOfDn(Dn.fromSlash('/DC=org/OU=People'))).toBeUndefined();
  });
});

describe('requestHost: the host each dialect names', () => {
  it('authz-interop dns-host-name first, then the named host certificate, then a grid-ce / EMI endpoint URL', () => {
    expect(requestHost(base({ dialect: 'authz-interop', host: 'WN042.example.org.', hostDn: Dn.fromSlash('/CN=host/other.example.org') }))).toBe('wn042.example.org');
    expect(requestHost(base({ dialect: 'authz-interop', hostDn: Dn.fromSlash('/DC=org/CN=host/wn042.example.org') }))).toBe('wn042.example.org');
    expect(requestHost(base({ dialect: 'emi', resourceNamesHost: true, hostDn: Dn.parse('CN=host/ce02.example.org,DC=example,DC=org'), resource: 'http://example.org/other' }))).toBe('ce02.example.org');
    expect(requestHost(base({ dialect: 'prima', hostDn: Dn.fromSlash('/DC=org/CN=host/ce03.example.org') }))).toBe('ce03.example.org');
    expect(requestHost(base({ dialect: 'grid-ce', resourceNamesHost: true, resource: 'https://CE01.example.org:8443/ce-cream/services/CREAM2' }))).toBe('ce01.example.org');
    expect(requestHost(base({ dialect: 'emi', resourceNamesHost: true, resource: 'https://[2001:db8::1]:8443/arex' }))).toBe('2001:db8::1');
  });

  it('names no host for grid-wn, a site resource name, or a person DN as resource', () => {
    expect(requestHost(base({ dialect: 'grid-wn', resource: 'http://authz-interop.org/xacml/resource/resource-type/wn' }))).toBeUndefined();
    expect(requestHost(base({ dialect: 'grid-ce', resourceNamesHost: true, resource: 'ce-queue-atlas' }))).toBeUndefined();
    expect(requestHost(base({ dialect: 'grid-ce', resourceNamesHost: true, resource: 'urn:example:ce' }))).toBeUndefined();
    expect(requestHost(base({ dialect: 'prima', hostDn: Dn.fromSlash('/DC=org/OU=People/CN=Jane Doe') }))).toBeUndefined();
  });
});

describe('Decider: what a banned subject is told', () => {
  const ban: Ban = { id: 'b-17', kind: 'dn', value: '/DC=org/CN=Jane', reason: 'incident 4711 (CSIRT: key stolen)', author: '/CN=Officer', createdAt: new Date(0) };
  const decider = (banAnswer?: { clientMessage: string; exposeReason: boolean }) => {
    const policy = parsePolicy('resource ".*" {\n  action ".*" {\n    rule permit { subject = "/DC=org/CN=Jane" }\n  }\n}\n', 't.spl');
    if (!policy.ok) throw new Error('policy');
    const storage = new InMemoryDecisionStorage([]);
    return {
      storage,
      decider: new Decider({
        verifier: { verify: () => ({ ok: false, error: { code: 'CRED_UNUSED', detail: '' } }) },
        configuration: { policy: () => policy.value, mapping: () => undefined, bans: () => [ban], callers: () => ({ mayAsk: () => ({ allowed: true, as: 'asserted' }), mayAskForHost: () => ({ allowed: true, rule: 'test' }) }) },
        storage,
        newId: () => 'd-1',
        monotonicMs: () => 0,
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
        ...(banAnswer ? { banAnswer } : {}),
      }),
    };
  };
  const self = base({ dialect: 'xacml', caller: { dn: Dn.fromSlash('/DC=org/CN=Jane'), viaProxy: false } });

  it('by default a neutral message, nothing of the reason; the record keeps the ban id', async () => {
    const { decider: d } = decider();
    const { result, record } = await d.decide(self, new Date(1000));
    expect(result.decision).toBe('Deny');
    expect(result.statusMessage).toBe('access denied by site policy');
    expect(record.reasons).toContain('ban:b-17');
    expect(JSON.stringify(result.statusMessage)).not.toMatch(/4711|incident|CSIRT|stolen/);
  });

  it('a configured message, or the reason when the site chooses to expose it', async () => {
    expect((await decider({ clientMessage: 'contact grid-support@example.org', exposeReason: false }).decider.decide(self, new Date(1000))).result.statusMessage).toBe('contact grid-support@example.org');
    expect((await decider({ clientMessage: 'x', exposeReason: true }).decider.decide(self, new Date(1000))).result.statusMessage).toBe('banned: incident 4711 (CSIRT: key stolen)');
  });

  it('records the caller certificate and the transport peer', async () => {
    const { decider: d } = decider();
    const request = base({
      dialect: 'authz-interop',
      host: 'wn01.example.org',
      messageIssuer: ' /DC=org/CN=host/wn01.example.org ',
      caller: { dn: Dn.fromSlash('/DC=org/CN=host/wn01.example.org'), viaProxy: false, certSerial: '1a2b', certIssuer: Dn.fromSlash('/DC=org/CN=Example CA'), sourceAddress: '192.0.2.7', sourcePort: 40001 },
    });
    const { record } = await d.decide(request, new Date(1000));
    expect(record).toMatchObject({
      callerSerial: '1a2b',
      callerIssuer: '/DC=org/CN=Example CA',
      callerHost: 'wn01.example.org',
      callerDnKey: Dn.fromSlash('/DC=org/CN=host/wn01.example.org').canonicalKey(),
      sourceAddress: '192.0.2.7',
      sourcePort: 40001,
      host: 'wn01.example.org',
      pepIssuer: '/DC=org/CN=host/wn01.example.org',
    });
  });
});
