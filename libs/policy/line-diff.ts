/**
 * A unified diff of two texts by lines (longest common subsequence), for `gridauthz policy diff`. Policies are a
 * few hundred lines, so the quadratic table is small; past `maxCells` the whole text counts as replaced.
 */
export function unifiedLineDiff(a: string, b: string, labels: { a: string; b: string }, context = 3, maxCells = 25_000_000): string {
  const x = splitLines(a);
  const y = splitLines(b);
  const ops = x.length * y.length > maxCells ? replaceAll(x, y) : lcsOps(x, y);
  if (ops.every((o) => o.kind === ' ')) return '';
  const out = [`--- ${labels.a}`, `+++ ${labels.b}`];
  // Group changes with `context` unchanged lines around them into hunks.
  let i = 0;
  while (i < ops.length) {
    while (i < ops.length && ops[i]?.kind === ' ') i += 1;
    if (i >= ops.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end]?.kind !== ' ') end += 1;
      let next = end;
      while (next < ops.length && ops[next]?.kind === ' ') next += 1;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else {
        end = Math.min(ops.length, end + context);
        break;
      }
    }
    const hunk = ops.slice(start, end);
    const aStart = (hunk[0]?.aLine ?? 0) + 1;
    const bStart = (hunk[0]?.bLine ?? 0) + 1;
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aStart - 1 : aStart},${aCount} +${bCount === 0 ? bStart - 1 : bStart},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.text}`);
    i = end;
  }
  return `${out.join('\n')}\n`;
}

interface Op {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
  /** Lines of a and b before this one (0-based positions). */
  readonly aLine: number;
  readonly bLine: number;
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lcsOps(x: readonly string[], y: readonly string[]): Op[] {
  const n = x.length;
  const m = y.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    const row = table[i] as Uint32Array;
    const below = table[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j -= 1) row[j] = x[i] === y[j] ? (below[j + 1] as number) + 1 : Math.max(below[j] as number, row[j + 1] as number);
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      ops.push({ kind: ' ', text: x[i] as string, aLine: i, bLine: j });
      i += 1;
      j += 1;
    } else if (i < n && (j >= m || (table[i + 1]?.[j] as number) >= (table[i]?.[j + 1] as number))) {
      ops.push({ kind: '-', text: x[i] as string, aLine: i, bLine: j }); // removals first, as diff -u prints them
      i += 1;
    } else {
      ops.push({ kind: '+', text: y[j] as string, aLine: i, bLine: j });
      j += 1;
    }
  }
  return ops;
}

function replaceAll(x: readonly string[], y: readonly string[]): Op[] {
  return [...x.map((text, i) => ({ kind: '-' as const, text, aLine: i, bLine: 0 })), ...y.map((text, j) => ({ kind: '+' as const, text, aLine: x.length, bLine: j }))];
}
