import { Dn, fail, ok, type Result, type TokenIdentity } from '@gridauthz/domain';

/**
 * A site's statement that a token identity (issuer, subject) and an X.509 DN are one person (docs/mapping-tokens.md,
 * "One person, one account"). A linked token identity is mapped, banned and leased exactly as its DN.
 */
export interface TokenLink {
  readonly issuer: string;
  readonly subject: string;
  readonly dn: Dn;
  readonly author: string;
  readonly createdAt: Date;
  readonly note?: string;
}

export type TokenLinkDraft = Omit<TokenLink, 'dn'> & { readonly dn: string };

/** Parses and checks a link as an operator wrote it; the DN in slash or RFC 2253 form. */
export function checkTokenLink(draft: TokenLinkDraft): Result<TokenLink, 'MAPPING_CONFIG_INVALID'> {
  if (draft.issuer === '' || draft.issuer !== draft.issuer.trim()) return fail('MAPPING_CONFIG_INVALID', `bad issuer ${JSON.stringify(draft.issuer)}`);
  if (draft.subject === '' || draft.subject !== draft.subject.trim()) return fail('MAPPING_CONFIG_INVALID', `bad token subject ${JSON.stringify(draft.subject)}`);
  let dn: Dn;
  try {
    dn = Dn.parse(draft.dn);
  } catch (e) {
    return fail('MAPPING_CONFIG_INVALID', `"${draft.dn}" is not a DN: ${(e as Error).message}`);
  }
  return ok({ issuer: draft.issuer, subject: draft.subject, dn, author: draft.author, createdAt: draft.createdAt, note: draft.note });
}

/** Links by token identity, compared as the (issuer, subject) pair of exact strings. */
export class TokenLinks {
  private readonly byIdentity = new Map<string, TokenLink>();

  constructor(links: readonly TokenLink[] = []) {
    // JSON of the pair is an unambiguous key: no issuer/subject split can make two pairs render alike.
    for (const l of links) this.byIdentity.set(JSON.stringify([l.issuer, l.subject]), l);
  }

  get size(): number {
    return this.byIdentity.size;
  }

  find(token: TokenIdentity): TokenLink | undefined {
    return this.byIdentity.get(JSON.stringify([token.issuer, token.subject]));
  }

  /**
   * The subject with the DN its token identity is linked to, if any: the one place a link takes effect, for the
   * decision (SiteTokenVerifier) and the what-if mapping alike, so both ban, map and lease a linked token as its DN.
   */
  apply<S extends { readonly token?: TokenIdentity; readonly dn?: Dn }>(subject: S): S {
    const link = subject.token ? this.find(subject.token) : undefined;
    return link ? Object.assign({}, subject, { dn: link.dn }) : subject;
  }
}
