import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { limitHeapGrowth } from './heap-growth';

describe('heap growth limit', () => {
  it('is a flag this Node version knows (V8 only warns about an unknown one, so the limit would silently vanish)', () => {
    const options = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    expect(options).toMatch(/--heap-growing-percent\b/);
  });

  it("is left alone when the operator passed --heap-growing-percent", () => {
    expect(limitHeapGrowth(['--heap-growing-percent=80'])).toBe(false);
    expect(limitHeapGrowth(['--heap_growing_percent'])).toBe(false);
    expect(limitHeapGrowth(['--max-old-space-size=512'])).toBe(true);
  });
});
