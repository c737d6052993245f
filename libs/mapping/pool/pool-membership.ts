/**
 * Whether a gridmapdir entry belongs to a pool (mapping.md §2.2). `strict` is LCMAPS ≥1.6 (default and
 * `-strict_poolprefix_match yes`), `legacy` is LCMAPS `no`, `argus` is the PEPd rule whose prefix is the
 * name minus its maximal trailing digit run (so pool names ending in a digit never match there).
 */
export type PoolMembershipRule = 'strict' | 'legacy' | 'argus';

export function isPoolEntry(name: string, poolId: string, rule: PoolMembershipRule = 'strict'): boolean {
  switch (rule) {
    case 'strict':
      return name.length > poolId.length && name.startsWith(poolId) && /^[0-9]+$/.test(name.slice(poolId.length));
    case 'legacy':
      return name.startsWith(poolId);
    case 'argus':
      return argusPoolPrefix(name) === poolId;
  }
}

/** The pool prefix Argus derives from an entry name, or undefined if the name is not a pool entry there. */
export function argusPoolPrefix(name: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9._-]*?)[0-9]+$/.exec(name);
  if (!m?.[1]) return undefined;
  // The lazy group stops before the maximal digit run only if that run is the whole tail; strip it explicitly.
  return name.replace(/[0-9]+$/, '');
}
