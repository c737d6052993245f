import { type IssuerConfig, type IssuerKeyStatus, type JwksEvent, jwksEventLogger, type JwksFetcher, type JwksCachePolicy, TokenValidator } from '@gridauthz/credentials';
import { fail, ok, type LogSink, type Result, type Subject } from '@gridauthz/domain';
import { tokenSubject } from '@gridauthz/credentials';
import { TokenLinks } from '@gridauthz/mapping';
import type { Config } from '../config';

/** A run-time issuer (token_issuer row, `gridauthz issuer add`). */
export interface DatabaseIssuer {
  readonly issuer: string;
  readonly jwksFile?: string;
  readonly jwksUrl?: string;
}

export interface SiteTokenVerifierOptions {
  readonly log: LogSink;
  /** Told every key-cache event (metrics). */
  readonly onJwksEvent?: (event: JwksEvent) => void;
  /** Tests: how JWKS URLs are read, the clock, and the cache timings. */
  readonly fetcher?: JwksFetcher;
  readonly now?: () => number;
  readonly jwksPolicy?: Partial<JwksCachePolicy>;
}

/**
 * The adapter for the decision's token port (DecisionDependencies.tokenVerifier, COMMON seam): validates a bearer
 * token with the site's TokenValidator and returns the domain Subject (tokenSubject), with the DN a token_link
 * names (docs/mapping-tokens.md, "One person, one account"), so a linked identity is banned and mapped as its DN.
 *
 * Issuers come from the settings (tokens.issuers) and the token_issuer table; for an issuer in both, the settings
 * win (a configuration file under change control is not overridden from the command line). The validator is
 * rebuilt only when the merged set changes (keys are then loaded again on first use).
 */
export class SiteTokenVerifier {
  private validator: TokenValidator | undefined;
  private links = new TokenLinks();
  private signature = '';
  private databaseIssuers: readonly DatabaseIssuer[] = [];
  private readonly onEvent: (event: JwksEvent) => void;

  constructor(
    private readonly settings: Config['tokens'],
    private readonly options: SiteTokenVerifierOptions,
  ) {
    const logEvent = jwksEventLogger(options.log);
    this.onEvent = (event) => {
      logEvent(event);
      options.onJwksEvent?.(event);
    };
    this.rebuild();
  }

  /** The issuers in force: the settings' and the database's, the settings winning for an issuer in both. */
  issuers(): (IssuerConfig & { readonly source: 'config' | 'database' })[] {
    const out = new Map<string, IssuerConfig & { source: 'config' | 'database' }>();
    for (const i of this.databaseIssuers) out.set(i.issuer, { issuer: i.issuer, jwks: i.jwksUrl !== undefined ? { url: i.jwksUrl } : { file: i.jwksFile as string }, source: 'database' });
    for (const i of this.settings.issuers) out.set(i.issuer, { issuer: i.issuer, jwks: i.jwksUrl !== undefined ? { url: i.jwksUrl } : { file: i.jwksFile as string }, source: 'config' });
    return [...out.values()];
  }

  setDatabaseIssuers(rows: readonly DatabaseIssuer[]): void {
    const previous = { rows: this.databaseIssuers, signature: this.signature };
    this.databaseIssuers = rows;
    if (!this.rebuild()) {
      // Refused (logged): what is in force stays what it was, and issuers() keeps saying so.
      this.databaseIssuers = this.validator ? previous.rows : [];
      this.signature = this.validator ? previous.signature : '';
    }
  }

  setLinks(links: TokenLinks): void {
    this.links = links;
  }

  /** The links decisions apply now (the what-if mapping applies the same). */
  tokenLinks(): TokenLinks {
    return this.links;
  }

  issuerStatus(): IssuerKeyStatus[] {
    return this.validator?.issuerStatus() ?? [];
  }

  /**
   * The port: a compact JWS to the subject, or a CRED_TOKEN_* refusal. Time claims are checked against the
   * service clock the validator holds (the decision's `now` comes from the same clock).
   */
  async verify(token: string, _now: Date): Promise<Result<Subject, string>> {
    const validator = this.validator;
    if (!validator) return fail('CRED_TOKEN_NOT_ACCEPTED', 'this site trusts no token issuer (tokens.issuers, `gridauthz issuer add`)');
    const validated = await validator.validate(token);
    if (!validated.ok) return fail(validated.error.code, validated.error.detail);
    return ok(this.links.apply(tokenSubject(validated.value)));
  }

  /** False when the validator refused the merged set (the previous validator, or none, stays). */
  private rebuild(): boolean {
    const issuers = this.issuers();
    const signature = JSON.stringify(issuers.map((i) => [i.issuer, i.jwks]).sort());
    if (signature === this.signature && (this.validator !== undefined || issuers.length === 0)) return true;
    if (issuers.length === 0) {
      this.signature = signature;
      this.validator = undefined;
      return true;
    }
    try {
      this.validator = new TokenValidator({
        issuers: issuers.map(({ issuer, jwks }) => ({ issuer, jwks })),
        audiences: this.settings.audiences,
        acceptAnyAudience: this.settings.acceptAnyAudience,
        onJwksEvent: this.onEvent,
        ...(this.options.fetcher ? { fetcher: this.options.fetcher } : {}),
        ...(this.options.now ? { now: this.options.now } : {}),
        ...(this.options.jwksPolicy ? { jwksPolicy: this.options.jwksPolicy } : {}),
      });
      this.signature = signature;
      this.options.log.info({ issuers: issuers.map((i) => ({ issuer: i.issuer, source: i.source })) }, 'token issuers in force');
      return true;
    } catch (err) {
      this.options.log.error({ err: { message: (err as Error).message } }, 'token issuers refused; keeping the previous set');
      return false;
    }
  }
}
