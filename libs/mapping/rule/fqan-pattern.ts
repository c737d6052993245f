import { Fqan } from '@gridauthz/domain';

/**
 * A map-file FQAN key read the way Argus reads it (mapping.md §3.6): group, optionally ending in `/*` (that group
 * and all subgroups), role literal or exactly `*`; a missing role means NULL; capability is ignored.
 */
export interface FqanPattern {
  readonly group: string;
  readonly subgroups: boolean;
  /** null = role NULL, '*' = any role. */
  readonly role: string | null;
}

export function parseFqanPattern(text: string): FqanPattern | string {
  const parsed = Fqan.tryParse(text);
  if (!parsed) return `"${text}" is not an FQAN`;
  let group = parsed.group;
  const subgroups = group.endsWith('/*');
  if (subgroups) group = group.slice(0, -2);
  if (group.includes('*')) return `"${text}": "*" may only be the whole last group component`;
  if (group.split('/').length < 2 || group === '') return `"${text}": the VO cannot be a wildcard`;
  if (parsed.role !== null && parsed.role.includes('*') && parsed.role !== '*') return `"${text}": a role is either literal or "*"`;
  return { group, subgroups, role: parsed.role };
}

export function fqanPatternMatches(pattern: FqanPattern, fqan: Fqan): boolean {
  const groupOk = pattern.subgroups ? fqan.group === pattern.group || fqan.group.startsWith(`${pattern.group}/`) : fqan.group === pattern.group;
  if (!groupOk) return false;
  return pattern.role === '*' || pattern.role === fqan.role;
}
