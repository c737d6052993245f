/**
 * @xmldom/xmldom 0.9 builds its end-tag pattern with `new RegExp` (grammar.reg, a large Unicode class) for every
 * closing tag it parses: 7 % of a decision's CPU in the ce benchmark, the largest single function. reg is a pure
 * function of its arguments and its patterns carry no `g` or `y` flag (no lastIndex state), so a compiled pattern
 * can be shared; sax.js calls it as `g.reg(...)`, a lookup on the module's exports at each call, which is what lets
 * this wrapper take effect. Remove once xmldom caches the pattern itself.
 */
import { LRUCache } from 'lru-cache';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS internal module of xmldom, patched once
const grammar = require('@xmldom/xmldom/lib/grammar') as { reg?: (...parts: Array<RegExp | string>) => RegExp; __gridauthzCached?: boolean };

/** Far above the handful of end-tag shapes xmldom builds; least recently used out first. */
const MAX_PATTERNS = 256;

function install(): boolean {
  const original = grammar.reg;
  if (typeof original !== 'function') return false;
  if (grammar.__gridauthzCached) return true;
  const compiled = new LRUCache<string, RegExp>({ max: MAX_PATTERNS });
  // The parts are xmldom's own grammar objects and short literals: key by object identity, not by source text
  // (a Unicode name class is hundreds of characters to join on every call).
  const ids = new WeakMap<RegExp, number>();
  let nextId = 0;
  const idOf = (r: RegExp): number => {
    const known = ids.get(r);
    if (known !== undefined) return known;
    nextId += 1;
    ids.set(r, nextId);
    return nextId;
  };
  grammar.reg = function cachedReg(this: unknown, ...parts: Array<RegExp | string>): RegExp {
    let key = '';
    for (const p of parts) key += typeof p === 'string' ? `s${p}\u0000` : `r${idOf(p)}\u0000`;
    const known = compiled.get(key);
    if (known !== undefined) return known;
    const pattern = original.apply(this, parts);
    if (!pattern.global && !pattern.sticky) compiled.set(key, pattern);
    return pattern;
  };
  grammar.__gridauthzCached = true;
  return true;
}

/** True when xmldom's pattern builder is wrapped (false if a new xmldom no longer has it: parsing still works). */
export const xmldomPatternCacheInstalled = install();
