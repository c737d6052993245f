import { describe, expect, it } from 'vitest';
import { workerExecArgv } from './supervisor';

describe('worker Node flags', () => {
  it('caps the young generation at 8 MB per semi-space by default, keeping the primary flags', () => {
    expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', '--max-semi-space-size=8']);
  });

  it("keeps an operator's own size, from the command line or NODE_OPTIONS", () => {
    expect(workerExecArgv(['--max-semi-space-size=32'], undefined)).toEqual(['--max-semi-space-size=32']);
    expect(workerExecArgv([], '--max-old-space-size=512 --max_semi_space_size=16')).toEqual([]);
  });
});
