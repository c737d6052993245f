/** Stage 3, bans: an active ban naming the subject ends the decision Deny, before policy and beyond its reach. */
import type { Complete, Subject } from '@gridauthz/domain';
import { type Ban, type BanSubject, findBan } from '@gridauthz/mapping';
import type { Step, Trail } from './outcome';
import { next } from './outcome';

/** What a banned subject's client reads by default: nothing of the officer's reason (Argus answers a bare Deny). */
export const DEFAULT_BAN_CLIENT_MESSAGE = 'access denied by site policy';

export interface BanAnswer {
  readonly clientMessage: string;
  readonly exposeReason: boolean;
}

export function checkBans(bans: readonly Ban[], subject: Subject, now: Date, answer: BanAnswer | undefined, trail: Trail): Step<void> {
  const ban = findBanFor(bans, subject, now);
  if (!ban) return next(undefined);
  const told = answer ?? { clientMessage: DEFAULT_BAN_CLIENT_MESSAGE, exposeReason: false };
  return trail.deny(`ban:${ban.id}`, told.exposeReason ? `banned: ${ban.reason}` : told.clientMessage);
}

/** The first active ban naming the subject: its DN, its CA, an FQAN, or a VO (each of its VOs in turn). */
export function findBanFor(bans: readonly Ban[], subject: Subject, now: Date): Ban | undefined {
  // X.509 kinds match nothing without a DN, token kinds nothing without a token identity (libs/mapping ban.ts).
  // One shape for every subject (docs/architecture.md, "Object literals on the request path").
  const banSubject = (vo: string | undefined): Complete<BanSubject> => ({
    dn: subject.dn,
    fqans: subject.fqans,
    issuerDn: subject.issuerDn,
    token: subject.token,
    groups: subject.token ? (subject.groups ?? []) : undefined,
    vo,
  });
  if (subject.vos.length === 0) return findBan(bans, banSubject(undefined), now);
  for (const vo of subject.vos) {
    const ban = findBan(bans, banSubject(vo), now);
    if (ban) return ban;
  }
  return undefined;
}
