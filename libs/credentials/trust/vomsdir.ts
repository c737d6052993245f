/**
 * `.lsc` files (credentials.md §6.5), read as a superset of the C and Java readers: blank and `#` lines
 * skipped, quoted/indented DNs accepted, any "--- NEXT CHAIN ---" spelling separates chains.
 */
export function parseLsc(text: string): string[][] {
  const chains: string[][] = [[]];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^-+\s*NEXT CHAIN\s*-+$/i.test(line)) {
      chains.push([]);
      continue;
    }
    let dn = line;
    if (dn.startsWith('"') && dn.endsWith('"') && dn.length >= 2) dn = dn.slice(1, -1).replace(/\\(.)/g, '$1');
    (chains[chains.length - 1] as string[]).push(dn);
  }
  return chains.filter((c) => c.length > 0);
}

/** Lines a C VOMS reader would not accept, for a one-time log hint. */
export function lscCompatibilityWarnings(text: string): string[] {
  const warnings: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) warnings.push('comment lines are read as DNs by C VOMS');
    else if (/^-+\s*NEXT CHAIN\s*-+$/i.test(line) && line !== '------ NEXT CHAIN ------') warnings.push(`separator "${line}" is not the C VOMS spelling`);
  }
  return [...new Set(warnings)];
}
