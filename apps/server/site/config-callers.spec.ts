import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { CallerModel } from '@gridauthz/mapping';
import { loadConfig } from '../config/load-config';
import { configCallers } from './site-runtime';

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
});
