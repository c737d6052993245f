import type { Dn, TokenIdentity } from '@gridauthz/domain';

/** NAME_MAX on Linux filesystems: a longer lease cannot exist in a gridmapdir (mapping.md §2.3.1). */
export const MAX_LEASE_NAME_BYTES = 255;

/**
 * Lease-name encoding of an OpenSSL-form DN (mapping.md §2.3.1), byte for byte as LCMAPS and Argus write it:
 * ASCII letters and digits lower-cased, every other byte `%` + two lower-case hex digits.
 * Input must be the ASCII slash form (non-ASCII already as `\xHH` text); returns undefined otherwise, because
 * LCMAPS mangles raw high bytes and a lease we wrote would never match one it wrote.
 */
export function encodeLeaseDnText(slashDn: string): string | undefined {
  let out = '';
  for (let i = 0; i < slashDn.length; i += 1) {
    const code = slashDn.charCodeAt(i);
    if (code > 0x7f) return undefined;
    const isAlnum = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
    out += isAlnum ? String.fromCharCode(code).toLowerCase() : `%${code.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Encodes a parsed DN; Dn.toSlash() always yields ASCII (non-printables as \xHH), so this cannot fail. */
export function encodeLeaseDn(dn: Dn): string {
  return encodeLeaseDnText(dn.toSlash()) as string;
}

/**
 * Which group names a lease key carries and in what order (mapping.md §2.3.2). Services sharing a gridmapdir
 * must agree on this, or one person silently gets two accounts.
 * - `dn-only`: enc(DN) (LCMAPS lcmaps_poolaccount, GUMS keys by DN).
 * - `primary-only`: enc(DN):primary (LCMAPS -do_not_use_secondary_gids, Argus useSecondaryGroupNamesForMapping=false).
 * - `lcmaps-all`: enc(DN):primary:secondaries sorted by gid, duplicates removed among the secondaries.
 * - `argus-all`: enc(DN):primary:secondaries in the order the rules produced them, duplicates kept.
 */
export type LeaseKeyConvention = 'dn-only' | 'primary-only' | 'lcmaps-all' | 'argus-all';

export interface LeaseKeyGroups {
  readonly primary?: { readonly name: string; readonly gid: number };
  readonly secondary: readonly { readonly name: string; readonly gid: number }[];
}

/** Builds the subject key for a pool lease; group names are appended raw (not encoded, case kept). */
export function buildSubjectKey(dn: Dn, groups: LeaseKeyGroups, convention: LeaseKeyConvention): string {
  return appendGroups(encodeLeaseDn(dn), groups, convention);
}

/** Prefix of every token identity's lease key; a DN key always starts with "%2f" (the encoded "/"). */
export const TOKEN_LEASE_KEY_PREFIX = 'token:';

/**
 * Exact, case-keeping encoding of one token claim for a lease key: ASCII letters and digits kept, every other UTF-8
 * byte as `%` + two upper-case hex digits. ":" is always encoded, so the key's ":" separators stay unambiguous.
 */
export function encodeTokenKeyPart(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const isAlnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    out += isAlnum ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The lease key of a token identity (docs/identities.md, "Token identities"): `token:` enc(iss) `:` enc(sub), then
 * the group names as for a DN. It cannot equal a DN's key (those start with "%2f") nor another issuer's subject
 * (both claims are encoded whole, and neither encoding can contain ":"), and one (issuer, subject) always gives
 * the same key, so it keeps its account.
 */
export function buildTokenSubjectKey(token: TokenIdentity, groups: LeaseKeyGroups, convention: LeaseKeyConvention): string {
  return appendGroups(`${TOKEN_LEASE_KEY_PREFIX}${encodeTokenKeyPart(token.issuer)}:${encodeTokenKeyPart(token.subject)}`, groups, convention);
}

function appendGroups(base: string, groups: LeaseKeyGroups, convention: LeaseKeyConvention): string {
  if (convention === 'dn-only') return base;
  const names: string[] = [];
  if (groups.primary) names.push(groups.primary.name);
  if (convention === 'lcmaps-all') {
    const seen = new Set<number>();
    const sorted = [...groups.secondary].sort((a, b) => a.gid - b.gid).filter((g) => (seen.has(g.gid) ? false : (seen.add(g.gid), true)));
    names.push(...sorted.map((g) => g.name));
  } else if (convention === 'argus-all') {
    names.push(...groups.secondary.map((g) => g.name));
  }
  return names.length === 0 ? base : `${base}:${names.join(':')}`;
}

/** A lease name taken apart (mapping.md §2.3.3). The DN's case is lost, so it is kept encoded. */
export interface DecodedLeaseName {
  readonly encodedDn: string;
  readonly groups: readonly string[];
  readonly mapcount?: number;
}

/** Decodes a lease name, or returns why it is not one. Names that do not start with `%` are not leases. */
export function decodeLeaseName(name: string): DecodedLeaseName | string {
  if (Buffer.byteLength(name, 'utf8') > MAX_LEASE_NAME_BYTES) return `lease name is longer than ${MAX_LEASE_NAME_BYTES} bytes`;
  if (!name.startsWith('%')) return 'not a lease name (does not start with "%")';
  const [encodedDn = '', ...tokens] = name.split(':');
  if (!/^(?:[a-z0-9]|%[0-9a-f]{2})+$/.test(encodedDn)) return `"${encodedDn}" is not an encoded DN`;
  if (!encodedDn.startsWith('%2f')) return 'encoded DN does not start with "/" (%2f)';
  let mapcount: number | undefined;
  const last = tokens[tokens.length - 1];
  if (last !== undefined && last.startsWith('mapcount=')) {
    if (!/^mapcount=[0-9]{4,}$/.test(last)) return `bad mapcount token "${last}"`;
    mapcount = Number(last.slice('mapcount='.length));
    tokens.pop();
  }
  for (const t of tokens) if (t === '' || t.includes('/')) return `bad group token "${t}"`;
  return mapcount === undefined ? { encodedDn, groups: tokens } : { encodedDn, groups: tokens, mapcount };
}

/** Re-assembles a decoded name; the inverse of decodeLeaseName (mapcount in LCMAPS's `%04d`). */
export function encodeLeaseName(lease: DecodedLeaseName): string {
  const parts = [lease.encodedDn, ...lease.groups];
  if (lease.mapcount !== undefined) parts.push(`mapcount=${String(lease.mapcount).padStart(4, '0')}`);
  return parts.join(':');
}

/**
 * The site setting `mapping.leaseNames` (docs/mapping.md "Lease names"): the lease-name convention of the system
 * whose gridmapdir the site shares or came from. `auto` follows `mapping.conventions`, so a site that never set it
 * keeps the names it has always had.
 * - `argus`: Argus PEPd ≥ 1.7 default, enc(DN):primary:secondaries in rule order, duplicates kept.
 * - `dn`: enc(DN) only (LCMAPS lcmaps_poolaccount, GUMS).
 * - `dn-primary-group`: enc(DN):primary (LCMAPS -do_not_use_secondary_gids, the YAIM/gLExec default; Argus with
 *   useSecondaryGroupNamesForMapping = false).
 * - `dn-groups`: enc(DN):primary:secondaries sorted by gid (LCMAPS lcmaps_voms_poolaccount default).
 */
export const LEASE_NAME_SETTINGS = ['auto', 'argus', 'dn', 'dn-primary-group', 'dn-groups'] as const;
export type LeaseNameSetting = (typeof LEASE_NAME_SETTINGS)[number];

/** The key convention a setting stands for; `auto` resolves by the site's rule conventions (argus | lcmaps). */
export function leaseKeyConventionFor(setting: LeaseNameSetting, conventions: 'argus' | 'lcmaps'): LeaseKeyConvention {
  switch (setting) {
    case 'auto':
      return conventions === 'lcmaps' ? 'lcmaps-all' : 'argus-all';
    case 'argus':
      return 'argus-all';
    case 'dn':
      return 'dn-only';
    case 'dn-primary-group':
      return 'primary-only';
    case 'dn-groups':
      return 'lcmaps-all';
  }
}

/**
 * Why a stored lease name can never be produced under `convention` (so no mapping will ever find it), or undefined
 * if it can. A DN-only name fits every convention: LCMAPS's DN-only plugin and a subject with no group both write it.
 */
export function leaseNameMismatch(lease: DecodedLeaseName, convention: LeaseKeyConvention): string | undefined {
  if (lease.mapcount !== undefined) return 'carries a mapcount (LCMAPS -max_mappings_per_credential), which gridauthz never writes';
  if (convention === 'dn-only' && lease.groups.length > 0) return 'has group names, but the lease-name convention is DN only';
  if (convention === 'primary-only' && lease.groups.length > 1) return 'has secondary group names, but the lease-name convention is DN + primary group';
  return undefined;
}
