import { Dn } from '@gridauthz/domain';

/** Extra hosts one caller may ask for (e.g. a GridFTP door asking for its cluster's gatekeeper DN). */
export interface HostToResourceRule {
  readonly caller: Dn;
  readonly resources: readonly Dn[];
}

/**
 * GUMS' caller rule (prima-saml1.md §1.1). INSECURE: any host matched by a host pattern may ask on behalf of any
 * host, and the substring test lets `/CN=gk01.example.edu` stand for every DN that contains it. Only for sites that
 * must keep a GUMS-era deployment working while they write host-to-resource rules.
 */
export interface GumsLegacyHostRule {
  /** GUMS readAll group members: may ask anything. */
  readonly readAll: readonly Dn[];
  /** GUMS readSelf group members: may ask about themselves as the user. */
  readonly readSelf: readonly Dn[];
  /** GUMS hostToGroupMapping patterns (anchored, as Java matches() is), tested on the caller's slash-form DN. */
  readonly hostPatterns: readonly RegExp[];
}

/** The site's rules for callers that ask on behalf of a host (settings prima.hostToResource, prima.gumsLegacy). */
export interface HostRules {
  /** Beyond its own DN, which hosts a caller may ask for. */
  readonly hostToResource?: readonly HostToResourceRule[];
  /** Falls back to GUMS' laxer rule when the strict ones refuse. INSECURE, see GumsLegacyHostRule. */
  readonly gumsLegacy?: GumsLegacyHostRule;
}

export type HostVerdict = { readonly allowed: true; readonly rule: string } | { readonly allowed: false; readonly reason: string };

/**
 * May `caller` ask on behalf of `host` (the host DN as the message named it, protocol escapes undone)? Default:
 * only for its own DN, compared as DNs (prima-saml1.md §11). Pure; `rule`/`reason` go to the record.
 */
export function mayAskForHost(rules: HostRules, caller: Dn, host: string, subject?: Dn): HostVerdict {
  const hostDn = parseHost(host);
  if (hostDn !== undefined) {
    if (hostDn.equals(caller)) return { allowed: true, rule: 'own-dn' };
    const granted = rules.hostToResource?.some((rule) => rule.caller.equals(caller) && rule.resources.some((r) => r.equals(hostDn)));
    if (granted === true) return { allowed: true, rule: 'host-to-resource' };
  }
  const legacy = rules.gumsLegacy;
  if (legacy !== undefined) {
    const callerSlash = caller.toSlash();
    if (subject !== undefined && subject.equals(caller) && legacy.readSelf.some((d) => d.equals(caller))) return { allowed: true, rule: 'gums-legacy:read-self' };
    if (legacy.readAll.some((d) => d.equals(caller))) return { allowed: true, rule: 'gums-legacy:read-all' };
    // GUMS compared raw strings here (indexOf): the insecurity this rule keeps, on purpose.
    if (host !== '' && callerSlash.includes(host)) return { allowed: true, rule: 'gums-legacy:dn-contains-host' };
    if (legacy.hostPatterns.some((pattern) => new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(callerSlash))) {
      return { allowed: true, rule: 'gums-legacy:host-pattern' };
    }
  }
  return {
    allowed: false,
    reason: hostDn === undefined ? `Resource "${host}" is not a DN` : `caller ${caller.toSlash()} may not ask for Resource ${hostDn.toSlash()}`,
  };
}

function parseHost(host: string): Dn | undefined {
  const text = host.trim();
  if (text === '') return undefined;
  try {
    return Dn.parse(text);
  } catch {
    return undefined;
  }
}
