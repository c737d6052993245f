/**
 * fnmatch(3) as LCMAPS calls it for map-file keys (mapping.md §3.1): FNM_NOESCAPE and no FNM_PATHNAME, so `*`
 * crosses `/`, `?` is one character, `[...]` a class (`!` or `^` negates, ranges allowed, a leading `]` is
 * literal) and a backslash is an ordinary character. An unterminated `[` matches itself, as in glibc.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  // Position to resume from after the last `*`: classic greedy-with-backtrack, linear in practice.
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
      continue;
    }
    if (pc !== undefined) {
      const step = matchOne(pattern, p, text[t] as string);
      if (step > 0) {
        p += step;
        t += 1;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP + 1;
    t = ++starT;
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}

/** True if the pattern has any glob metacharacter, i.e. it is not a literal key. */
export function hasGlobMeta(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** Length of the pattern element at `p` if it matches `ch`, else 0. */
function matchOne(pattern: string, p: number, ch: string): number {
  const pc = pattern[p] as string;
  if (pc === '?') return 1;
  if (pc !== '[') return pc === ch ? 1 : 0;
  let i = p + 1;
  const negate = pattern[i] === '!' || pattern[i] === '^';
  if (negate) i += 1;
  let matched = false;
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== ']')) {
    first = false;
    const lo = pattern[i] as string;
    if (pattern[i + 1] === '-' && pattern[i + 2] !== undefined && pattern[i + 2] !== ']') {
      const hi = pattern[i + 2] as string;
      if (lo <= ch && ch <= hi) matched = true;
      i += 3;
    } else {
      if (lo === ch) matched = true;
      i += 1;
    }
  }
  if (i >= pattern.length) return ch === '[' ? 1 : 0; // no closing bracket: literal "["
  return matched !== negate ? i - p + 1 : 0;
}
