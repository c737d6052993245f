import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';

// The tokens block of COMMON/docs/tokens.md §6, as a site writes it in YAML; mistakes are refused at start-up.
const yaml = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'gridauthz-tokens-')), 'gridauthz.yaml');
  writeFileSync(file, text);
  return file;
};
const load = (file: string, env: Record<string, string> = {}) => loadConfig({ file: undefined, env: { GRIDAUTHZ_CONFIG: file, ...env } });
const problems = (file: string, env: Record<string, string> = {}): string => {
  try {
    load(file, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('tokens settings', () => {
  it('reads the documented block', () => {
    const { config } = load(
      yaml(`tokens:
  audiences: ["https://ce.example.org"]
  acceptAnyAudience: false
  issuers:
    - issuer: "https://issuer.example"
      jwksFile: /etc/gridauthz/jwks/issuer.json
    - issuer: "https://atlas-auth.web.cern.ch/"
      jwksUrl: https://atlas-auth.web.cern.ch/jwk
`),
    );
    expect(config.tokens).toEqual({
      audiences: ['https://ce.example.org'],
      acceptAnyAudience: false,
      issuers: [
        { issuer: 'https://issuer.example', jwksFile: '/etc/gridauthz/jwks/issuer.json' },
        { issuer: 'https://atlas-auth.web.cern.ch/', jwksUrl: 'https://atlas-auth.web.cern.ch/jwk' },
      ],
    });
  });

  it('defaults to no issuers and no audiences (tokens refused)', () => {
    expect(load(yaml('')).config.tokens).toEqual({ audiences: [], acceptAnyAudience: false, issuers: [] });
  });

  it.each([
    ['both key sources', '- {issuer: "https://i", jwksFile: /a.json, jwksUrl: "https://i/jwk"}', 'exactly one of jwksFile and jwksUrl'],
    ['no key source', '- {issuer: "https://i"}', 'exactly one of jwksFile and jwksUrl'],
    ['a plain-http URL', '- {issuer: "https://i", jwksUrl: "http://i/jwk"}', 'https URL'],
    ['a relative file', '- {issuer: "https://i", jwksFile: jwks.json}', 'absolute path'],
    ['an issuer twice', '- {issuer: "https://i", jwksFile: /a.json}\n    - {issuer: "https://i", jwksFile: /b.json}', 'listed twice'],
    ['an unknown key', '- {issuer: "https://i", jwksFile: /a.json, keys: 1}', 'tokens.issuers'],
  ])('refuses %s', (_name, issuers, message) => {
    expect(problems(yaml(`tokens:\n  audiences: ["https://ce.example.org"]\n  issuers:\n    ${issuers}\n`))).toContain(message);
  });

  it('refuses the "any" audience as a site audience, and issuers without an audience', () => {
    expect(problems(yaml('tokens:\n  audiences: ["https://wlcg.cern.ch/jwt/v1/any"]\n'))).toContain('acceptAnyAudience');
    expect(problems(yaml('tokens:\n  issuers:\n    - {issuer: "https://i", jwksFile: /a.json}\n'))).toContain('no audience');
  });

  it('takes the issuers as JSON from the environment', () => {
    const { config } = load(yaml(''), { GRIDAUTHZ_TOKENS_ISSUERS: '[{"issuer":"https://i","jwksUrl":"https://i/jwk"}]', GRIDAUTHZ_TOKENS_AUDIENCES: 'https://a;https://b' });
    expect(config.tokens.issuers).toEqual([{ issuer: 'https://i', jwksUrl: 'https://i/jwk' }]);
    expect(config.tokens.audiences).toEqual(['https://a', 'https://b']);
  });
});
