import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

/**
 * Reading the chart for the tests. No helm binary is available where the tests run, so the checks work on
 * the files: values and schema as data, templates as text (their Go-template actions located by regex).
 */
export const REPO = resolve(__dirname, '..', '..');
export const CHART = join(REPO, 'helm', 'gridauthz');

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const readText = (...parts: string[]): string => readFileSync(join(...parts), 'utf8');
export const readYaml = (...parts: string[]): Json => parseYaml(readText(...parts)) as Json;
export const isObject = (value: Json | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export const templateNames = (): string[] => readdirSync(join(CHART, 'templates')).filter((name) => /\.(ya?ml|tpl|txt)$/.test(name));
export const templates = (): Map<string, string> => new Map(templateNames().map((name) => [name, readText(CHART, 'templates', name)]));

export const values = (): JsonObject => readYaml(CHART, 'values.yaml') as JsonObject;
export const schema = (): JsonObject => JSON.parse(readText(CHART, 'values.schema.json')) as JsonObject;

/** A validator as strict as Helm's: draft-07, every error reported; strict mode also flags schema mistakes. */
export function compileSchema(): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(schema());
}

/** Helm merges user values over the chart's; nested maps merge, anything else is replaced. */
export function mergeValues(base: Json, override: Json): Json {
  if (!isObject(base) || !isObject(override)) return override;
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key]; // helm: null removes a default
    else out[key] = key in base ? mergeValues(base[key] ?? null, value) : value;
  }
  return out;
}

/** Follows $ref (local "#/definitions/x" only, which is all the chart's schema uses). */
export function resolveRef(node: JsonObject, root: JsonObject): JsonObject {
  let current = node;
  while (typeof current.$ref === 'string') {
    const path = current.$ref.replace(/^#\//, '').split('/');
    let target: Json | undefined = root;
    for (const part of path) target = isObject(target) ? target[part] : undefined;
    if (!isObject(target)) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

/**
 * The schema node for a values path, or 'free-form' once the path enters a map whose keys the schema does not
 * fix (podAnnotations, resources, volume sources), or undefined when the schema has no such key.
 */
export function schemaAt(path: readonly string[], root: JsonObject): JsonObject | 'free-form' | undefined {
  let node = resolveRef(root, root);
  for (const key of path) {
    const properties = node.properties;
    if (isObject(properties) && isObject(properties[key])) {
      node = resolveRef(properties[key], root);
      continue;
    }
    if (node.additionalProperties === false) return undefined;
    return 'free-form';
  }
  return node;
}

/** Every `.Values.a.b` in a text, with `$x := .Values.a` aliases followed (`$x.b` counts as `.Values.a.b`). */
export function valuesReferences(text: string): string[][] {
  const refs: string[][] = [];
  for (const match of text.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)) refs.push(match[1]!.slice(1).split('.'));
  for (const alias of text.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)\s*:=\s*\.Values((?:\.[A-Za-z0-9_]+)+)/g)) {
    const base = alias[2]!.slice(1).split('.');
    for (const use of text.matchAll(new RegExp(`\\$${alias[1]}((?:\\.[A-Za-z0-9_]+)+)`, 'g'))) refs.push([...base, ...use[1]!.slice(1).split('.')]);
  }
  return refs;
}

export function lookup(object: Json, path: readonly string[]): Json | undefined {
  let current: Json | undefined = object;
  for (const key of path) current = isObject(current) && key in current ? current[key] : undefined;
  return current;
}

/** Leaf paths of values.yaml, stopping at maps the schema leaves free-form (their keys are the user's). */
export function valueLeaves(object: JsonObject, root: JsonObject, prefix: string[] = []): string[][] {
  const leaves: string[][] = [];
  for (const [key, value] of Object.entries(object)) {
    const path = [...prefix, key];
    const node = schemaAt(path, root);
    if (isObject(value) && node !== 'free-form' && node !== undefined && isObject(node.properties)) leaves.push(...valueLeaves(value, root, path));
    else leaves.push(path);
  }
  return leaves;
}

/** Every environment variable gridauthz reads, taken from the settings table's source text. */
export function serverEnvNames(): Map<string, string> {
  const source = readText(REPO, 'apps', 'server', 'config', 'settings.ts');
  const names = new Map<string, string>();
  for (const row of source.matchAll(/\{\s*key:\s*'([^']+)',\s*env:\s*\[([^\]]*)\]/g)) {
    for (const name of row[2]!.matchAll(/'([A-Z0-9_]+)'/g)) names.set(name[1]!, row[1]!);
  }
  return names;
}

/** Default of a setting, from the same source text (numbers and quoted strings only). */
export function serverDefault(key: string): string | number | undefined {
  const source = readText(REPO, 'apps', 'server', 'config', 'settings.ts');
  const row = new RegExp(`key:\\s*'${key.replace('.', '\\.')}'[^\\n]*?default:\\s*('([^']*)'|(\\d+))`).exec(source);
  if (!row) return undefined;
  return row[3] !== undefined ? Number(row[3]) : row[2];
}

/**
 * The lines of the YAML block under `key:` (the key line's deeper-indented followers), with template actions
 * replaced by a number so the block parses: enough to read a probe or a port list out of a template.
 */
export function templateBlock(text: string, key: string): Json {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `${key}:`);
  if (start < 0) throw new Error(`no ${key}: block`);
  const indent = lines[start]!.search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && line.search(/\S/) <= indent) break;
    // A line that is nothing but an action (a block keyword, a toYaml of user values) carries no key of ours.
    if (/^\s*\{\{[^}]*\}\}\s*$/.test(line)) continue;
    body.push(line.replace(/\{\{-?[^}]*-?\}\}/g, '1'));
  }
  return parseYaml(body.join('\n')) as Json;
}

/** Go-template actions of a file in order, comments dropped: `if x`, `end`, `include "..." .`, ... */
export function templateActions(text: string): string[] {
  return [...text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)].map((m) => m[1]!.trim()).filter((action) => !action.startsWith('/*'));
}
