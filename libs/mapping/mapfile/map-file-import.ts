import { ok } from '@gridauthz/domain';
import type { BanDraft } from '../ban/ban';
import { failWithProblems, type Checked, type Problem } from '../problem';
import type { MappingRule } from '../rule/mapping-rule';
import { compilePattern } from '../rule/subject-matcher';
import { readMapFileLines, type MapFileLine, type MapFileSyntax } from './map-file-lines';

export interface MapFileImport<T> {
  readonly items: readonly T[];
  /** Lines the legacy system would also have skipped or partly ignored; they do not block the import. */
  readonly warnings: readonly Problem[];
}

export interface RuleImportContext {
  readonly syntax: MapFileSyntax;
  /**
   * Prefix of the rule ids. Ids are `${source}:${key}` (plus `#n` for a repeated key), stable across re-imports
   * of the same file, so the store can replace the rules of one source as a whole.
   */
  readonly source: string;
  /** Leasable pool ids, for `.pool` targets. */
  readonly pools: ReadonlySet<string>;
  /** Known accounts, for static targets; absent: not checked here (config compilation checks later). */
  readonly accounts?: ReadonlySet<string>;
  /** Known group names, for groupmapfile targets. */
  readonly groups?: ReadonlySet<string>;
}

/** grid-mapfile → account rules, in file order. A file with any problem imports nothing. */
export function importGridMapfile(text: string, context: RuleImportContext): Checked<MapFileImport<MappingRule>, 'MAPPING_IMPORT_INVALID'> {
  return importRules(text, context, (line, at) => {
    const [first, ...rest] = line.targets;
    if (first === undefined) return undefined;
    const warnings = rest.length > 0 ? [at(`only the first target "${first}" is used; ignored ${rest.join(',')}`)] : [];
    if (first.startsWith('.')) {
      const poolId = first.slice(1);
      if (!context.pools.has(poolId)) return at(`unknown pool "${poolId}"`);
      return { rule: { account: { kind: 'pool', poolId } }, warnings };
    }
    if (context.accounts && !context.accounts.has(first)) return at(`unknown account "${first}"`);
    return { rule: { account: { kind: 'static', username: first } }, warnings };
  });
}

/** groupmapfile → group rules, in file order. Pool groups (`.name`) are not supported. */
export function importGroupMapfile(text: string, context: RuleImportContext): Checked<MapFileImport<MappingRule>, 'MAPPING_IMPORT_INVALID'> {
  return importRules(text, context, (line, at) => {
    for (const g of line.targets) {
      if (g.startsWith('.')) return at(`pool group "${g}" is not supported; map the FQAN to a fixed group`);
      if (context.groups && !context.groups.has(g)) return at(`unknown group "${g}"`);
    }
    return { rule: { groups: line.targets }, warnings: [] };
  });
}

type LineMapper = (line: MapFileLine, at: (message: string) => Problem) => { rule: Omit<MappingRule, 'id' | 'subject'>; warnings: Problem[] } | Problem | undefined;

function importRules(text: string, context: RuleImportContext, map: LineMapper): Checked<MapFileImport<MappingRule>, 'MAPPING_IMPORT_INVALID'> {
  const read = readMapFileLines(text, { syntax: context.syntax, file: context.source, targetsRequired: true });
  const problems = [...read.problems];
  const warnings = [...read.warnings];
  const rules: MappingRule[] = [];
  const idCount = new Map<string, number>();
  const syntax = { patternSyntax: context.syntax, wildcards: true } as const;
  for (const line of read.lines) {
    const at = (message: string): Problem => ({ file: context.source, line: line.line, message });
    const compiled = compilePattern({ kind: line.kind, pattern: line.key }, syntax);
    if (typeof compiled === 'string') {
      problems.push(at(compiled));
      continue;
    }
    const mapped = map(line, at);
    if (mapped === undefined) continue;
    if ('message' in mapped) {
      problems.push(mapped);
      continue;
    }
    warnings.push(...mapped.warnings);
    const baseId = `${context.source}:${line.key}`;
    const n = (idCount.get(baseId) ?? 0) + 1;
    idCount.set(baseId, n);
    rules.push({ id: n === 1 ? baseId : `${baseId}#${n}`, subject: { kind: line.kind, pattern: line.key }, ...mapped.rule });
  }
  if (problems.length > 0) return failWithProblems('MAPPING_IMPORT_INVALID', byLine(problems));
  return ok({ items: rules, warnings: byLine(warnings) });
}

export interface BanFileContext {
  /** `lcmaps_ban_dn.mod` files list DNs, `lcmaps_ban_fqan.mod` files FQANs (§4.2). */
  readonly kind: 'dn' | 'fqan';
  readonly file: string;
  readonly author: string;
  readonly now: Date;
}

/** LCMAPS ban file → ban drafts; targets are ignored as LCMAPS ignores them. A file with any problem imports nothing. */
export function importLcmapsBanFile(text: string, context: BanFileContext): Checked<MapFileImport<BanDraft>, 'MAPPING_IMPORT_INVALID'> {
  const read = readMapFileLines(text, { syntax: 'lcmaps', file: context.file, targetsRequired: false });
  const problems = [...read.problems];
  const drafts: BanDraft[] = [];
  const seen = new Set<string>();
  for (const line of read.lines) {
    if (line.kind !== context.kind) {
      problems.push({ file: context.file, line: line.line, message: `"${line.key}" is not a ${context.kind === 'dn' ? 'DN' : 'FQAN'}` });
      continue;
    }
    if (seen.has(line.key)) continue;
    seen.add(line.key);
    drafts.push({ kind: context.kind, value: line.key, reason: `imported from ${context.file} line ${line.line}`, author: context.author, createdAt: context.now });
  }
  if (problems.length > 0) return failWithProblems('MAPPING_IMPORT_INVALID', byLine(problems));
  return ok({ items: drafts, warnings: read.warnings });
}

/** Problems in file order, so an operator can fix them top to bottom (sort is stable within a line). */
function byLine(problems: readonly Problem[]): Problem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
