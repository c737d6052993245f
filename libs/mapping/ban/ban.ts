import { Dn, type Fqan, type TokenIdentity } from '@gridauthz/domain';
import { fqanPatternMatches, parseFqanPattern } from '../rule/fqan-pattern';
import { globMatch, hasGlobMeta } from '../rule/glob';
import { TOKEN_GROUP } from '../rule/subject-matcher';

/**
 * What a ban names (mapping.md §4.4; ARCHITECTURE "Data": ban). `ca` is the issuer of the end-entity certificate.
 * Token bans (docs/mapping-tokens.md): `issuer` every token of one issuer, `token` one (issuer, subject),
 * `token-group` one wlcg.groups entry of one issuer; all exact strings.
 */
export type BanKind = 'dn' | 'fqan' | 'ca' | 'vo' | 'issuer' | 'token' | 'token-group';
export const BAN_KINDS: readonly BanKind[] = ['dn', 'fqan', 'ca', 'vo', 'issuer', 'token', 'token-group'];

export interface BanDraft {
  readonly kind: BanKind;
  /**
   * DN (slash or RFC 2253, or an LCMAPS glob), FQAN pattern, CA DN, or VO name, as the author wrote it; for token
   * bans the issuer (`issuer`), the token subject (`token`) or the group (`token-group`).
   */
  readonly value: string;
  /** The token issuer (exact `iss`) of a `token` or `token-group` ban; absent for every other kind. */
  readonly issuer?: string;
  readonly reason: string;
  readonly author: string;
  readonly createdAt: Date;
  /** Absent: until removed. */
  readonly expiresAt?: Date;
}

export interface Ban extends BanDraft {
  /** Stable id; the decision cites it as its reason. */
  readonly id: string;
}

/**
 * The facts a ban can name. `vo` is the VO of the validated VOMS AC, when there is one. A token subject has no DN
 * (unless linked to one), so DN and CA bans cannot name it; token bans name nothing without a token.
 */
export interface BanSubject {
  readonly dn?: Dn;
  readonly issuerDn?: Dn;
  readonly fqans: readonly Fqan[];
  readonly vo?: string;
  readonly token?: TokenIdentity;
  /** Token groups (wlcg.groups). */
  readonly groups?: readonly string[];
}

const VO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why a draft cannot be a ban, or undefined if it is well-formed. */
export function checkBanDraft(draft: BanDraft): string | undefined {
  if (draft.value.trim() === '') return 'empty ban value';
  if (draft.expiresAt && draft.expiresAt.getTime() <= draft.createdAt.getTime()) return 'ban expires before it was created';
  const tokenKind = draft.kind === 'token' || draft.kind === 'token-group';
  if (tokenKind && (draft.issuer === undefined || draft.issuer.trim() === '')) return `a ${draft.kind} ban needs an issuer`;
  if (!tokenKind && draft.issuer !== undefined) return `a ${draft.kind} ban takes no separate issuer`;
  if (draft.value !== draft.value.trim() && (tokenKind || draft.kind === 'issuer')) return 'token ban values are exact and may not start or end with white space';
  if (draft.issuer !== undefined && draft.issuer !== draft.issuer.trim()) return 'the issuer may not start or end with white space';
  switch (draft.kind) {
    case 'dn':
      return hasGlobMeta(draft.value) || parses(draft.value) ? undefined : `"${draft.value}" is not a DN`;
    case 'ca':
      return parses(draft.value) ? undefined : `"${draft.value}" is not a DN`;
    case 'fqan':
      return draft.value.startsWith('/') ? undefined : `"${draft.value}" is not an FQAN`;
    case 'vo':
      return VO_NAME.test(draft.value) ? undefined : `"${draft.value}" is not a VO name`;
    case 'issuer':
    case 'token':
      return undefined;
    case 'token-group':
      return TOKEN_GROUP.test(draft.value) ? undefined : `"${draft.value}" is not a token group (like /atlas)`;
    default:
      return `unknown ban kind ${String(draft.kind)}`;
  }
}

export function isBanActive(ban: BanDraft, now: Date): boolean {
  return ban.expiresAt === undefined || ban.expiresAt.getTime() > now.getTime();
}

/**
 * Whether a ban names the subject. Bans fail closed: a ban applies if either legacy reading of its value would
 * apply it — LCMAPS's glob on the raw strings (§4.2) or Argus's canonical DN / parsed FQAN match (§3.6, §4.3) —
 * so a ban written for one system still holds when the site's rules use the other syntax.
 */
export function banMatches(ban: BanDraft, subject: BanSubject): boolean {
  switch (ban.kind) {
    case 'dn':
      return subject.dn !== undefined && (globMatch(ban.value, subject.dn.toSlash()) || sameDn(ban.value, subject.dn));
    case 'ca':
      return subject.issuerDn !== undefined && sameDn(ban.value, subject.issuerDn);
    case 'fqan': {
      const pattern = parseFqanPattern(ban.value);
      return subject.fqans.some(
        (f) => globMatch(ban.value, f.original) || globMatch(ban.value, f.toLong()) || (typeof pattern !== 'string' && fqanPatternMatches(pattern, f)),
      );
    }
    case 'vo':
      return subject.vo === ban.value || subject.fqans.some((f) => f.vo === ban.value);
    case 'issuer':
      return subject.token?.issuer === ban.value;
    case 'token':
      return subject.token !== undefined && subject.token.issuer === ban.issuer && subject.token.subject === ban.value;
    case 'token-group':
      return subject.token !== undefined && subject.token.issuer === ban.issuer && (subject.groups ?? []).includes(ban.value);
    default:
      // A kind this build does not know (a newer replica wrote it): fail closed.
      return true;
  }
}

/** How a ban is shown to an operator: `kind value`, token bans with their issuer. */
export function describeBanTarget(ban: Pick<BanDraft, 'kind' | 'value' | 'issuer'>): string {
  return ban.issuer !== undefined ? `${ban.kind} ${ban.value} (issuer ${ban.issuer})` : `${ban.kind} ${ban.value}`;
}

/**
 * The structured key (Dn.canonicalKey, docs/identities.md) of a ban that names one DN: a ca ban, or a dn ban that
 * is not an LCMAPS glob. Null for globs, FQANs and VOs, which are text.
 */
export function banValueKey(b: { readonly kind: string; readonly value: string }): string | null {
  if (b.kind !== 'ca' && (b.kind !== 'dn' || hasGlobMeta(b.value))) return null;
  try {
    return Dn.parse(b.value).canonicalKey();
  } catch {
    return null;
  }
}

/** The first active ban, in the given order, that names the subject; its id is the decision's reason. */
export function findBan<B extends BanDraft>(bans: readonly B[], subject: BanSubject, now: Date): B | undefined {
  return bans.find((b) => isBanActive(b, now) && banMatches(b, subject));
}

function parses(text: string): boolean {
  try {
    Dn.parse(text);
    return true;
  } catch {
    return false;
  }
}

function sameDn(text: string, dn: Dn): boolean {
  try {
    return Dn.parse(text).equals(dn);
  } catch {
    return false;
  }
}
