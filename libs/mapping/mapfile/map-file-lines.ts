import { Dn } from '@gridauthz/domain';
import type { Problem } from '../problem';
import { classifyKey } from '../rule/subject-matcher';

/**
 * The two dialects of grid-mapfile/groupmapfile/ban-file syntax.
 * `lcmaps` (mapping.md §3.1): quoted or bare key, no escape processing, first whitespace-separated token after
 * the key is the comma-separated target list, the rest of the line is ignored.
 * `argus` (§3.2): key between the first character (a quote) and the last quote, Java-style escapes in FQAN keys
 * (backslashes dropped from slash-form DN keys, kept in RFC 2253 ones), everything after the last quote split on
 * commas; duplicate keys are fatal.
 */
export type MapFileSyntax = 'lcmaps' | 'argus';

export interface MapFileLine {
  readonly line: number;
  readonly key: string;
  readonly kind: 'dn' | 'fqan';
  readonly targets: readonly string[];
}

export interface MapFileReadResult {
  readonly lines: readonly MapFileLine[];
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
}

export interface MapFileReadOptions {
  readonly syntax: MapFileSyntax;
  readonly file?: string;
  /** Ban files need no target; a key without one is then not worth a warning. */
  readonly targetsRequired: boolean;
}

/** Splits a map file into keyed lines, collecting every problem with its line number. */
export function readMapFileLines(text: string, options: MapFileReadOptions): MapFileReadResult {
  const lines: MapFileLine[] = [];
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const at = (line: number, message: string): Problem => (options.file === undefined ? { line, message } : { file: options.file, line, message });
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const parsed = options.syntax === 'lcmaps' ? splitLcmaps(trimmed, options.targetsRequired) : splitArgus(trimmed);
    if (typeof parsed === 'string') {
      problems.push(at(line, parsed));
      return;
    }
    if (parsed.warning) warnings.push(at(line, parsed.warning));
    if (parsed.key === '') {
      problems.push(at(line, 'empty key'));
      return;
    }
    if (options.targetsRequired && parsed.targets.length === 0) {
      // LCMAPS skips such a line with a warning ("no mappings"); it maps nothing, so importing it would be a lie.
      warnings.push(at(line, 'no target; line skipped'));
      return;
    }
    const kind = classifyKey(parsed.key);
    const dupKey = options.syntax === 'lcmaps' ? parsed.key : duplicateKey(parsed.key, kind);
    const previous = seen.get(dupKey);
    if (previous !== undefined) {
      if (options.syntax === 'argus') problems.push(at(line, `duplicate key (first on line ${previous}); Argus refuses the whole file`));
      else warnings.push(at(line, `duplicate key (first on line ${previous}); this line never matches`));
    } else {
      seen.set(dupKey, line);
    }
    lines.push({ line, key: parsed.key, kind, targets: parsed.targets });
  });
  return { lines, problems, warnings };
}

interface SplitLine {
  readonly key: string;
  readonly targets: readonly string[];
  readonly warning?: string;
}

function splitLcmaps(line: string, targetsRequired: boolean): SplitLine | string {
  let key: string;
  let rest: string;
  const quoted = line.startsWith('"');
  if (quoted) {
    // No escapes since LCMAPS r18226, but a quote preceded by a backslash does not end the key.
    let end = 1;
    while (end < line.length && !(line[end] === '"' && line[end - 1] !== '\\')) end += 1;
    if (end >= line.length) return 'unterminated quoted key';
    key = line.slice(1, end);
    rest = line.slice(end + 1);
    if (rest !== '' && !/^\s/.test(rest)) return 'text directly after the closing quote';
  } else {
    const m = /^(\S+)(.*)$/.exec(line) as RegExpExecArray;
    key = m[1] as string;
    rest = m[2] as string;
  }
  rest = rest.trim();
  const [targetToken = '', ...more] = rest === '' || rest.startsWith('#') ? [] : rest.split(/\s+/);
  const trailing = more.join(' ');
  const trailingIsText = trailing !== '' && !trailing.startsWith('#');
  // A bare key ends at the first blank, so a DN with a space would silently become a different, shorter key.
  if (!quoted && (trailingIsText || (!targetsRequired && targetToken !== ''))) {
    return `key "${key}" is followed by more words; a DN containing spaces must be double-quoted`;
  }
  const targets = targetToken.split(',').filter((t) => t !== '');
  if (trailingIsText) return { key, targets, warning: `ignored text after the targets: "${trailing}"` };
  return { key, targets };
}

function splitArgus(line: string): SplitLine | string {
  if (!line.startsWith('"')) return 'key must be double-quoted';
  const last = line.lastIndexOf('"');
  if (last === 0) return 'unterminated quoted key';
  const raw = line.slice(1, last).trim();
  let key: string;
  if (classifyKey(raw) === 'fqan') {
    const unescaped = unescapeJava(raw);
    if (typeof unescaped !== 'string') return unescaped.error;
    key = unescaped;
  } else {
    // Argus strips every backslash from slash-form DN keys (its workaround for "\/"), so they cannot have been
    // Java escapes; RFC 2253 keys keep their backslashes, which are RFC 2253 escapes for the DN parser.
    key = raw.startsWith('/') ? raw.replace(/\\/g, '') : raw;
  }
  const targets = line
    .slice(last + 1)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of targets) {
    // Whitespace is not a separator in Argus: "DN" .dteam # note yields the target ".dteam # note".
    if (/\s/.test(t)) return `target "${t}" contains whitespace (comments after targets are not allowed in Argus syntax)`;
  }
  return { key, targets };
}

function unescapeJava(text: string): string | { error: string } {
  const simple: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', "'": "'", '"': '"', '\\': '\\' };
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i] as string;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next !== undefined && simple[next] !== undefined) {
      out += simple[next];
      i += 1;
    } else if (next === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (next === 'u' && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      return { error: `invalid escape "\\${next ?? ''}" in key` };
    }
  }
  return out;
}

/** Keys that Argus would store under one map entry: DNs canonically, FQAN keys as written (LCMAPS: byte-exact). */
function duplicateKey(key: string, kind: 'dn' | 'fqan'): string {
  if (kind === 'dn') {
    try {
      return `dn:${Dn.parse(key).canonicalKey()}`;
    } catch {
      return `dn-text:${key}`;
    }
  }
  return `fqan:${key}`;
}
