import type { Dn } from '@gridauthz/domain';
import { resourceDn, resourceForPolicy } from './resource';

/** Extra Resources one caller may ask about (e.g. a GridFTP door asking for its cluster's gatekeeper DN). */
export interface PrimaHostToResourceRule {
  readonly caller: Dn;
  readonly resources: readonly Dn[];
}

/**
 * GUMS' caller rule (§1.1). INSECURE: any host matched by a host pattern may ask on behalf of any Resource, and
 * the substring test lets `/CN=gk01.example.edu` stand for every DN that contains it. Only for sites that must
 * keep a GUMS-era deployment working while they write host-to-resource rules.
 */
export interface PrimaGumsLegacyCallerRule {
  /** GUMS readAll group members: may ask anything. */
  readonly readAll: readonly Dn[];
  /** GUMS readSelf group members: may ask about themselves as the user. */
  readonly readSelf: readonly Dn[];
  /** GUMS hostToGroupMapping patterns (anchored, as Java matches() is), tested on the caller's slash-form DN: GUMS let a caller matching any of them ask. */
  readonly hostPatterns: readonly RegExp[];
}

export interface PrimaCallerPolicy {
  /** Beyond its own DN, which Resources a caller may ask for. */
  readonly hostToResource?: readonly PrimaHostToResourceRule[];
  /** Falls back to GUMS' laxer rule when the strict ones refuse. INSECURE, see PrimaGumsLegacyCallerRule. */
  readonly gumsLegacy?: PrimaGumsLegacyCallerRule;
}

export interface PrimaCallerQuestion {
  /** The TLS caller's end-entity DN. */
  readonly caller: Dn;
  /** The query's Resource as sent (`%20` still encoded). */
  readonly resource: string;
  /** The query's user DN, for GUMS' readSelf rule. */
  readonly subject?: Dn;
}

export type PrimaCallerVerdict = { readonly allowed: true; readonly rule: string } | { readonly allowed: false; readonly reason: string };

/**
 * May this TLS caller ask about this Resource? Default: only about its own DN, compared as DNs after `%20`
 * decoding (§11). A refused caller is answered Deny, as GUMS did (§1.1). Pure; `rule`/`reason` go to the audit.
 */
export function authorizePrimaCaller(question: PrimaCallerQuestion, policy: PrimaCallerPolicy = {}): PrimaCallerVerdict {
  const { caller } = question;
  const resource = resourceDn(question.resource);
  if (resource !== undefined) {
    if (resource.equals(caller)) return { allowed: true, rule: 'own-dn' };
    const granted = policy.hostToResource?.some((rule) => rule.caller.equals(caller) && rule.resources.some((r) => r.equals(resource)));
    if (granted === true) return { allowed: true, rule: 'host-to-resource' };
  }
  const legacy = policy.gumsLegacy;
  if (legacy !== undefined) {
    const callerSlash = caller.toSlash();
    if (question.subject !== undefined && question.subject.equals(caller) && legacy.readSelf.some((d) => d.equals(caller))) {
      return { allowed: true, rule: 'gums-legacy:read-self' };
    }
    if (legacy.readAll.some((d) => d.equals(caller))) return { allowed: true, rule: 'gums-legacy:read-all' };
    // GUMS compared raw strings here (indexOf), after its own %20 decoding.
    const host = resourceForPolicy(question.resource);
    if (host !== '' && callerSlash.includes(host)) return { allowed: true, rule: 'gums-legacy:dn-contains-host' };
    if (legacy.hostPatterns.some((pattern) => new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(callerSlash))) {
      return { allowed: true, rule: 'gums-legacy:host-pattern' };
    }
  }
  return {
    allowed: false,
    reason: resource === undefined ? `Resource "${question.resource}" is not a DN` : `caller ${caller.toSlash()} may not ask for Resource ${resource.toSlash()}`,
  };
}
