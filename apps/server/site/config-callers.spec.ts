import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { CallerModel } from '@gridauthz/mapping';
import { loadConfig } from '../config/load-config';
import { configCallers, configHostRules } from './site-runtime';

describe('callers from the configuration (pdp.callers, pdp.trustedAsserters)', () => {
  it('gives each listed DN its roles, and trusted asserters the asserter role', () => {
    const { config } = loadConfig({
      file: undefined,
      env: {
        GRIDAUTHZ_CONFIG: '',
        GRIDAUTHZ_PDP_CALLERS: JSON.stringify([{ dn: 'CN=Pilot,DC=example,DC=org', roles: ['pilot'], comment: 'factory' }]),
        GRIDAUTHZ_PDP_TRUSTED_ASSERTERS: '/DC=org/DC=example/CN=host/pepd.example.org',
      },
    });
    const entries = configCallers(config);
    expect(entries.map((e) => [e.dn.toSlash(), e.role, e.source])).toEqual([
      ['/DC=org/DC=example/CN=Pilot', 'pilot', 'config'],
      ['/DC=org/DC=example/CN=host/pepd.example.org', 'asserter', 'config'],
    ]);
    const model = CallerModel.of(entries);
    const alice = Dn.fromSlash('/DC=org/DC=example/CN=Alice');
    expect(model.mayAsk(Dn.fromSlash('/DC=org/DC=example/CN=host/pepd.example.org'), { kind: 'asserted', dn: alice })).toEqual({ allowed: true, as: 'asserted' });
    expect(model.mayAsk(Dn.fromSlash('/DC=org/DC=example/CN=Pilot'), { kind: 'asserted', dn: alice })).toMatchObject({ allowed: false, code: 'CALLER_CHAIN_REQUIRED' });
  });

  it('reads the PRIMA host rules (prima.hostToResource, prima.gumsLegacy) into the caller model', () => {
    const se = '/DC=org/DC=example/CN=host/se01.example.org';
    const gk = '/DC=org/DC=example/CN=host/gk01.example.org';
    const { config } = loadConfig({
      file: undefined,
      env: { GRIDAUTHZ_CONFIG: '', GRIDAUTHZ_PRIMA_HOST_TO_RESOURCE: JSON.stringify([{ caller: se, resources: [gk] }]), GRIDAUTHZ_PRIMA_GUMS_LEGACY: 'false', GRIDAUTHZ_PRIMA_GUMS_READ_ALL: '/DC=org/CN=Reader' },
    });
    const model = CallerModel.of([], configHostRules(config));
    expect(model.mayAskForHost(Dn.fromSlash(se), gk)).toEqual({ allowed: true, rule: 'host-to-resource' });
    expect(model.mayAskForHost(Dn.fromSlash(gk), se).allowed).toBe(false);
    // readAll counts only with gumsLegacy enabled.
    expect(model.mayAskForHost(Dn.fromSlash('/DC=org/CN=Reader'), gk).allowed).toBe(false);
    const { config: legacy } = loadConfig({ file: undefined, env: { GRIDAUTHZ_CONFIG: '', GRIDAUTHZ_PRIMA_GUMS_LEGACY: 'true', GRIDAUTHZ_PRIMA_GUMS_READ_ALL: '/DC=org/CN=Reader' } });
    expect(CallerModel.of([], configHostRules(legacy)).mayAskForHost(Dn.fromSlash('/DC=org/CN=Reader'), gk)).toEqual({ allowed: true, rule: 'gums-legacy:read-all' });
  });
});
