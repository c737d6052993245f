import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartConfigSettings, CHART_ENVIRONMENT_KEYS, README_TABLE_END, README_TABLE_START, renderChartConfigSchema, renderChartConfigTable } from './helm-values';
import { SETTINGS } from './settings';

const CHART = join(__dirname, '..', '..', '..', 'helm', 'gridauthz');
const SCHEMA = join(CHART, 'values.schema.json');
const README = join(CHART, 'README.md');

/** Every dotted key a JSON schema object admits, at any depth. */
function keysOf(schema: Record<string, unknown>, prefix = ''): string[] {
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (schema.type !== 'object' || !properties) return [prefix];
  return Object.entries(properties).flatMap(([k, v]) => keysOf(v, prefix === '' ? k : `${prefix}.${k}`));
}

describe('helm/gridauthz covers every configuration key (regenerate with UPDATE_DOCS=1 npx vitest run apps/server/config)', () => {
  it('values.schema.json admits under config exactly the settings the chart does not set through the environment', () => {
    const file = JSON.parse(readFileSync(SCHEMA, 'utf8')) as { properties: Record<string, unknown> };
    if (process.env.UPDATE_DOCS) {
      file.properties.config = renderChartConfigSchema();
      writeFileSync(SCHEMA, `${JSON.stringify(file, null, 2)}\n`);
    }
    expect(file.properties.config).toEqual(renderChartConfigSchema());
    const admitted = keysOf(file.properties.config as Record<string, unknown>).sort();
    const expected = SETTINGS.map((s) => s.key).filter((k) => !CHART_ENVIRONMENT_KEYS.has(k)).sort();
    expect(admitted).toEqual(expected);
  });

  it('README.md lists every config key with its default', () => {
    let text = readFileSync(README, 'utf8');
    const start = text.indexOf(README_TABLE_START);
    const end = text.indexOf(README_TABLE_END);
    expect(start, 'the README has the generated table markers').toBeGreaterThanOrEqual(0);
    if (process.env.UPDATE_DOCS) {
      text = text.slice(0, start) + renderChartConfigTable() + text.slice(end + README_TABLE_END.length);
      writeFileSync(README, text);
    }
    expect(text.slice(start, end + README_TABLE_END.length)).toBe(renderChartConfigTable());
    for (const s of chartConfigSettings()) expect(text).toContain(`\`config.${s.key}\``);
  });

  it('the environment-only keys are real settings (a renamed setting cannot hide here)', () => {
    const known = new Set<string>(SETTINGS.map((s) => s.key));
    for (const key of CHART_ENVIRONMENT_KEYS) expect(known.has(key), key).toBe(true);
  });
});
