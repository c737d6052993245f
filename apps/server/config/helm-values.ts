import { z } from 'zod';
import { SETTINGS, type SettingSpec } from './settings';

/**
 * Settings the chart sets through the container environment (listeners, files, the database URL): the
 * environment wins over gridauthz.yaml, so the chart's `config` must not admit them, or a value put there would be
 * silently ignored.
 */
export const CHART_ENVIRONMENT_KEYS: ReadonlySet<string> = new Set([
  'pdp.host',
  'pdp.port',
  'management.host',
  'management.port',
  'admin.enabled',
  'admin.host',
  'admin.port',
  'pepd.enabled',
  'pepd.host',
  'pepd.port',
  'tls.certFile',
  'tls.keyFile',
  'trust.caDir',
  'trust.vomsDir',
  'database.url',
  'database.dataDir',
  'policy.dir',
]);

type JsonSchema = Record<string, unknown>;

/** The settings the chart's `config` value takes, in table order. */
export function chartConfigSettings(): readonly SettingSpec[] {
  return (SETTINGS as readonly SettingSpec[]).filter((s) => !CHART_ENVIRONMENT_KEYS.has(s.key));
}

function settingSchema(spec: SettingSpec): JsonSchema {
  // Input shape, as a site writes it in values.yaml; draft-07 because Helm validates with it.
  const generated = z.toJSONSchema(spec.schema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  delete generated.$schema;
  // zod writes JavaScript's safe-integer bound as maximum; it says nothing to a site.
  if (generated.maximum === Number.MAX_SAFE_INTEGER) delete generated.maximum;
  return { description: `${spec.key}: ${spec.description}`, ...generated };
}

/** The `config` property of helm/gridauthz/values.schema.json, generated from the settings table. */
export function renderChartConfigSchema(): JsonSchema {
  const root: JsonSchema = { type: 'object', additionalProperties: false, properties: {} };
  for (const spec of chartConfigSettings()) {
    const path = spec.key.split('.');
    let node = root;
    for (const part of path.slice(0, -1)) {
      const properties = node.properties as Record<string, JsonSchema>;
      properties[part] ??= { type: 'object', additionalProperties: false, properties: {} };
      node = properties[part];
    }
    (node.properties as Record<string, JsonSchema>)[path[path.length - 1] as string] = settingSchema(spec);
  }
  root.description = 'gridauthz.yaml: every gridauthz setting except those the chart sets through the environment (generated from apps/server/config/settings.ts).';
  return root;
}

export const README_TABLE_START = '<!-- config keys: generated from apps/server/config/settings.ts; do not edit by hand -->';
export const README_TABLE_END = '<!-- end of config keys -->';

/** The table of `config.*` keys in helm/gridauthz/README.md. */
export function renderChartConfigTable(): string {
  const rows = chartConfigSettings().map((s) => {
    const value = s.default === undefined ? '(unset)' : Array.isArray(s.default) ? (s.default.length === 0 ? '`[]`' : `\`${JSON.stringify(s.default)}\``) : `\`${String(s.default)}\``;
    return `| \`config.${s.key}\` | ${value} | ${s.description.replace(/\|/g, '\\|')} |`;
  });
  return [README_TABLE_START, '| key | gridauthz default | meaning |', '|---|---|---|', ...rows, README_TABLE_END].join('\n');
}
