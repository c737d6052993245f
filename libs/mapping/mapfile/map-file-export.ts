import { ok } from '@gridauthz/domain';
import { isBanActive, type BanDraft } from '../ban/ban';
import { failWithProblems, type Checked, type Problem } from '../problem';
import type { MappingRule } from '../rule/mapping-rule';
import type { MapFileSyntax } from './map-file-lines';

/**
 * Renders the account rules as a grid-mapfile the chosen system reads back to the same rules (importGridMapfile).
 * Rules whose key cannot be written in that syntax are reported by rule id; nothing is rendered then.
 */
export function exportGridMapfile(rules: readonly MappingRule[], syntax: MapFileSyntax): Checked<string, 'MAPPING_EXPORT_INVALID'> {
  return render(
    rules.filter((r) => r.account !== undefined),
    syntax,
    (r) => (r.account?.kind === 'pool' ? `.${r.account.poolId}` : (r.account?.username ?? '')),
  );
}

/** Renders the group rules as a groupmapfile (all groups, comma-separated). */
export function exportGroupMapfile(rules: readonly MappingRule[], syntax: MapFileSyntax): Checked<string, 'MAPPING_EXPORT_INVALID'> {
  return render(
    rules.filter((r) => (r.groups ?? []).length > 0),
    syntax,
    (r) => (r.groups ?? []).join(','),
  );
}

/**
 * Renders active DN or FQAN bans as an LCMAPS ban file (mapping.md §4.2). CA and VO bans have no LCMAPS form and
 * are returned in `skipped` so the caller can say so.
 */
export function exportLcmapsBanFile<B extends BanDraft>(bans: readonly B[], kind: 'dn' | 'fqan', now: Date): Checked<{ readonly text: string; readonly skipped: readonly B[] }, 'MAPPING_EXPORT_INVALID'> {
  const problems: Problem[] = [];
  const lines: string[] = [];
  const skipped: B[] = [];
  for (const ban of bans) {
    if (!isBanActive(ban, now)) continue;
    if (ban.kind !== kind) {
      if (ban.kind === 'ca' || ban.kind === 'vo') skipped.push(ban);
      continue;
    }
    const key = lcmapsKey(ban.value);
    if (typeof key !== 'string') problems.push({ message: `${ban.kind} ban "${ban.value}": ${key.error}` });
    else lines.push(key);
  }
  if (problems.length > 0) return failWithProblems('MAPPING_EXPORT_INVALID', problems);
  return ok({ text: lines.map((l) => `${l}\n`).join(''), skipped });
}

function render(rules: readonly MappingRule[], syntax: MapFileSyntax, target: (r: MappingRule) => string): Checked<string, 'MAPPING_EXPORT_INVALID'> {
  const problems: Problem[] = [];
  const lines: string[] = [];
  for (const rule of rules) {
    // Map files have no token form (docs/mapping-tokens.md): token rules stay in gridauthz only.
    if (rule.subject.kind !== 'dn' && rule.subject.kind !== 'fqan') continue;
    const key = syntax === 'lcmaps' ? lcmapsKey(rule.subject.pattern) : argusKey(rule.subject.pattern, rule.subject.kind);
    if (typeof key !== 'string') problems.push({ message: `rule ${rule.id}: ${key.error}` });
    else lines.push(`${key} ${target(rule)}`);
  }
  if (problems.length > 0) return failWithProblems('MAPPING_EXPORT_INVALID', problems);
  return ok(lines.map((l) => `${l}\n`).join(''));
}

/** LCMAPS has no escapes: a quote can only appear preceded by a backslash, which then is part of the key. */
function lcmapsKey(key: string): string | { error: string } {
  if (/(^|[^\\])"/.test(key)) return { error: 'a double quote not preceded by a backslash cannot be written in LCMAPS syntax' };
  if (/[\r\n]/.test(key)) return { error: 'line breaks cannot be written in a map file' };
  return `"${key}"`;
}

/** Argus unescapes FQAN keys Java-style and strips backslashes from slash-form DN keys (see map-file-lines). */
function argusKey(key: string, kind: 'dn' | 'fqan'): string | { error: string } {
  if (/[\r\n]/.test(key)) return { error: 'line breaks cannot be written in a map file' };
  if (kind === 'fqan') return `"${key.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (key.startsWith('/') && key.includes('\\')) return { error: 'Argus strips backslashes from slash-form DN keys' };
  return `"${key}"`;
}
