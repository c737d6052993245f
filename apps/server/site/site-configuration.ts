import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SiteSources } from '@gridauthz/decision';
import type { LogSink } from '@gridauthz/domain';
import { type BanStore, type CallerEntry, type MappingConfigStore, type TokenLink, TokenLinks } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import type { PolicyVersionRepository } from '@gridauthz/persistence';

export type { SiteTopic } from '@gridauthz/decision';

export interface SiteStores {
  readonly policies: PolicyVersionRepository;
  readonly mapping: MappingConfigStore;
  readonly bans: BanStore;
  /** The caller table (PostgresCallerStore). */
  readonly callers: { entries(onBadRow?: (row: { dn: string; role: string }, message: string) => void): Promise<CallerEntry[]> };
  /** token_link (PostgresTokenLinkStore); absent: no links. */
  readonly tokenLinks?: { links(onBadRow?: (row: { issuer: string; subject: string; dn: string }, message: string) => void): Promise<TokenLink[]> };
  /** token_issuer (PostgresTokenIssuerStore); absent: only the settings' issuers. */
  readonly tokenIssuers?: { list(): Promise<readonly { issuer: string; jwksFile?: string; jwksUrl?: string }[]> };
}

/** Change-feed topics of the token verifier's own state (links and run-time issuers), beside the site snapshot's. */
export const TOKEN_TOPICS = ['token-link', 'token-issuer'] as const;
export type TokenTopic = (typeof TOKEN_TOPICS)[number];

/** Where token links and run-time issuers go once loaded (SiteTokenVerifier). */
export interface TokenSink {
  setLinks(links: TokenLinks): void;
  setDatabaseIssuers(rows: readonly { issuer: string; jwksFile?: string; jwksUrl?: string }[]): void;
}

/** Loads token links and run-time issuers into the token verifier; each topic replaces its part whole. */
export async function reloadTokenState(stores: SiteStores, sink: TokenSink, topics: readonly string[], log: LogSink): Promise<void> {
  if (topics.includes('token-link') && stores.tokenLinks) {
    const links = await stores.tokenLinks.links((row, message) =>
      log.error({ issuer: row.issuer, subject: row.subject, dn: row.dn, problem: message }, 'token link does not parse; ignored'),
    );
    sink.setLinks(new TokenLinks(links));
    log.info({ links: links.length }, 'token links loaded');
  }
  if (topics.includes('token-issuer') && stores.tokenIssuers) sink.setDatabaseIssuers(await stores.tokenIssuers.list());
}

/** The site snapshot's loaders (libs/decision SiteSnapshot) over the database stores. */
export function siteSources(stores: SiteStores): SiteSources {
  return {
    async activePolicy() {
      const version = await stores.policies.active();
      return version ? { label: `version ${version.id} (${version.sha256.slice(0, 12)})`, source: `policy-version-${version.id}`, text: version.text } : undefined;
    },
    mapping: () => stores.mapping.load(),
    activeBans: (now) => stores.bans.listActive(now),
    callers: (onBadRow) => stores.callers.entries(onBadRow),
  };
}

/**
 * When the database holds no policy version yet, the files of the policy directory become version 1 (a fresh
 * install, `npm start`). Files are combined in name order, as a PAP holds several policy sets. Resolves why no
 * policy will be loaded, when that is so (for /readyz).
 */
export async function bootstrapPolicy(policies: PolicyVersionRepository, policyDir: string, log: LogSink): Promise<string | undefined> {
  if (await policies.active()) return undefined;
  let files: string[];
  try {
    files = readdirSync(policyDir).filter((f) => f.endsWith('.spl')).sort();
  } catch {
    log.warn({ policyDir }, 'no policy directory; decisions are Indeterminate until a policy is applied');
    return `no site policy: no policy directory ${policyDir} and none applied (\`gridauthz policy apply <file>\`)`;
  }
  if (files.length === 0) return `no site policy: no .spl file in ${policyDir} and none applied (\`gridauthz policy apply <file>\`)`;
  const text = files.map((f) => `# --- ${f}\n${readFileSync(join(policyDir, f), 'utf8')}`).join('\n');
  const parsed = parsePolicy(text, policyDir);
  if (!parsed.ok) {
    log.error({ policyDir, diagnostics: parsed.error.diagnostics.slice(0, 10) }, 'the shipped policy does not compile; not loaded');
    return `no site policy: the files in ${policyDir} do not compile (\`gridauthz policy lint\`); apply a good one with \`gridauthz policy apply <file>\``;
  }
  const version = await policies.storeAndActivateIfNone(text, 'gridauthz', `initial policy from ${policyDir}`);
  if (version) log.info({ version: version.id, files }, 'policy directory stored as the first policy version');
  return undefined;
}
