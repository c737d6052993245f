import { SETTINGS, type SettingSpec } from './settings';

/** docs/configuration.md, rendered from the settings table so the two cannot drift (a test compares them). */
export function renderConfigurationDoc(): string {
  const rows = (SETTINGS as readonly SettingSpec[]).map((s) => {
    const value = s.default === undefined ? '(unset)' : Array.isArray(s.default) ? (s.default.length === 0 ? '(empty list)' : s.default.join('; ')) : String(s.default);
    return `| \`${s.key}\` | ${s.env.map((e) => `\`${e}\``).join(', ')} | \`${value}\` | ${s.description} |`;
  });
  return [
    '# Configuration',
    '',
    'Every key, its environment variables and its default. Precedence, lowest first: built-in defaults, the YAML',
    'file (`--config`, else `$GRIDAUTHZ_CONFIG`, else `/etc/gridauthz/gridauthz.yaml` when it exists), the environment.',
    'A value that does not validate, or an unknown key in the file, stops start-up with a message naming the key.',
    'In the file, keys nest: `pdp.port` is `pdp:` / `port:`. Lists are YAML sequences in the file and `;`-separated',
    'in the environment. `gridauthz serve --dev` replaces the defaults of the TLS, trust and database paths with',
    'the development PKI and database under `./var`.',
    '',
    '| key | environment | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
    'This file is generated from `apps/server/config/settings.ts`; after changing a setting run',
    '`UPDATE_DOCS=1 npx vitest run apps/server/config`.',
    '',
  ].join('\n');
}
