import { describe, expect, it } from 'vitest';
import { unifiedLineDiff } from './line-diff';

describe('unifiedLineDiff', () => {
  const labels = { a: 'version 1', b: 'version 2' };

  it('is empty for equal texts', () => {
    expect(unifiedLineDiff('a\nb\n', 'a\nb\n', labels)).toBe('');
  });

  it('shows a changed line with its context, in the hunk format diff -u uses', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const b = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n');
    expect(unifiedLineDiff(a, b, labels)).toBe(['--- version 1', '+++ version 2', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ''].join('\n'));
  });

  it('keeps distant changes in separate hunks and counts added lines', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const b = ['l0', 'new', ...Array.from({ length: 19 }, (_, i) => `l${i + 1}`).slice(0, 18), 'l19', 'tail'].join('\n');
    const diff = unifiedLineDiff(a, b, labels);
    expect(diff.match(/^@@/gm)).toHaveLength(2);
    expect(diff).toContain('@@ -1,4 +1,5 @@\n l0\n+new\n l1\n');
    expect(diff).toContain('+tail\n');
  });
});
