import { setFlagsFromString } from 'node:v8';

/** Old generation may grow to 1.5 × what survived the last full GC before the next one. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Under a high allocation rate V8 lets the old generation grow to up to ~4 × its live size between full GCs: at
 * ~2,300 decisions/s a worker with ~45 MB live reached 190-217 MB of heap and 213-297 MB RSS. A fixed growing factor
 * of 1.5 keeps it near 107 MB (RSS 171-185 MB) for ~2-3 % more CPU (BENCHMARKS.md, memory). Set at run time because
 * NODE_OPTIONS does not admit this V8 flag; V8 reads it each time it sizes the heap after a GC. An operator's own
 * --heap-growing-percent (on the command line) wins.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((flag) => /^--heap[-_]growing[-_]percent(=|$)/.test(flag))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
