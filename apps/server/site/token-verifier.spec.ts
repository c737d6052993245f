import { describe, expect, it } from 'vitest';
import { silentLog } from '@gridauthz/domain';
import { SiteTokenVerifier } from './token-verifier';

// docs/mapping-tokens.md §1: settings and database issuers are merged, the settings winning for an issuer in both.
const settings = {
  audiences: ['https://ce.example.org'],
  acceptAnyAudience: false,
  issuers: [{ issuer: 'https://a.example/', jwksFile: '/etc/gridauthz/jwks/a.json' }],
};

describe('SiteTokenVerifier issuers', () => {
  it('merges the database issuers in, the settings winning for an issuer in both', () => {
    const v = new SiteTokenVerifier(settings, { log: silentLog });
    v.setDatabaseIssuers([
      { issuer: 'https://a.example/', jwksUrl: 'https://a.example/other-jwks' },
      { issuer: 'https://b.example/', jwksUrl: 'https://b.example/jwk' },
    ]);
    expect(v.issuers()).toEqual([
      { issuer: 'https://a.example/', jwks: { file: '/etc/gridauthz/jwks/a.json' }, source: 'config' },
      { issuer: 'https://b.example/', jwks: { url: 'https://b.example/jwk' }, source: 'database' },
    ]);
    expect(v.issuerStatus().map((s) => s.issuer)).toEqual(['https://a.example/', 'https://b.example/']);
  });

  it('keeps what is in force when a database row is refused (a plain-http URL written by hand)', () => {
    const v = new SiteTokenVerifier(settings, { log: silentLog });
    v.setDatabaseIssuers([{ issuer: 'https://b.example/', jwksUrl: 'https://b.example/jwk' }]);
    v.setDatabaseIssuers([{ issuer: 'https://c.example/', jwksUrl: 'http://c.example/jwk' }]);
    expect(v.issuers().map((i) => i.issuer)).toEqual(['https://b.example/', 'https://a.example/']);
    expect(v.issuerStatus().map((s) => s.issuer).sort()).toEqual(['https://a.example/', 'https://b.example/']);
  });

  it('refuses tokens with CRED_TOKEN_NOT_ACCEPTED while no issuer is trusted', async () => {
    const v = new SiteTokenVerifier({ audiences: [], acceptAnyAudience: false, issuers: [] }, { log: silentLog });
    const r = await v.verify('a.b.c', new Date());
    expect(!r.ok && r.error.code).toBe('CRED_TOKEN_NOT_ACCEPTED');
  });
});
