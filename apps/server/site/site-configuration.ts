import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionConfiguration } from '@gridauthz/decision';
import type { LogSink } from '@gridauthz/domain';
import {
  type Ban,
  type BanStore,
  type CallerEntry,
  CallerModel,
  type CompiledMappingConfig,
  compileMappingConfig,
  describeProblem,
  type MappingConfigStore,
  type MappingSettings,
  type TokenLink,
  TokenLinks,
} from '@gridauthz/mapping';
import { parsePolicy, type PolicySet } from '@gridauthz/policy';
import type { PolicyVersionRepository } from '@gridauthz/persistence';
import type { ReadinessCheck } from '../management/readiness';

export type SiteTopic = 'ban' | 'policy' | 'mapping' | 'caller' | 'token-link' | 'token-issuer';

/** Where token links and run-time issuers go once loaded (SiteTokenVerifier). */
export interface TokenSink {
  setLinks(links: TokenLinks): void;
  setDatabaseIssuers(rows: readonly { issuer: string; jwksFile?: string; jwksUrl?: string }[]): void;
}

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

/**
 * The site configuration every decision reads: the active policy, the compiled mapping configuration and the
 * active bans. Each is an immutable snapshot replaced whole on reload, so a decision in flight sees one
 * consistent version; a reload that fails (a policy that no longer compiles) keeps the previous snapshot.
 */
export class SiteConfiguration implements DecisionConfiguration {
  private policySet: PolicySet | undefined;
  private policyLabel = 'none';
  /** Why no policy is loaded, in words the log and /readyz share. */
  private noPolicyReason = 'no site policy loaded (`gridauthz policy apply <file>`)';
  private compiledMapping: CompiledMappingConfig | undefined;
  private activeBans: readonly Ban[] = [];
  private storedCallers: readonly CallerEntry[] = [];
  private callerModel: CallerModel;
  private tokenSink: TokenSink | undefined;

  /** `configCallers`: from the settings (pdp.callers, pdp.trustedAsserters), fixed for the process's life. */
  constructor(
    private readonly stores: SiteStores,
    private readonly settings: MappingSettings,
    private readonly configCallers: readonly CallerEntry[],
    private readonly log: LogSink,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.callerModel = CallerModel.of(configCallers);
  }

  /** Token links and run-time issuers are handed to the token verifier on every reload of theirs. */
  attachTokens(sink: TokenSink): void {
    this.tokenSink = sink;
  }

  policy(): PolicySet | undefined {
    return this.policySet;
  }

  mapping(): CompiledMappingConfig | undefined {
    return this.compiledMapping;
  }

  bans(): readonly Ban[] {
    return this.activeBans;
  }

  callers(): CallerModel {
    return this.callerModel;
  }

  /**
   * When the database holds no policy version yet, the files of the policy directory become version 1 (a fresh
   * install, `npm start`). Files are combined in name order, as a PAP holds several policy sets.
   */
  async bootstrapPolicy(policyDir: string): Promise<void> {
    if (await this.stores.policies.active()) return;
    let files: string[];
    try {
      files = readdirSync(policyDir).filter((f) => f.endsWith('.spl')).sort();
    } catch {
      this.noPolicyReason = `no site policy: no policy directory ${policyDir} and none applied (\`gridauthz policy apply <file>\`)`;
      this.log.warn({ policyDir }, 'no policy directory; decisions are Indeterminate until a policy is applied');
      return;
    }
    if (files.length === 0) {
      this.noPolicyReason = `no site policy: no .spl file in ${policyDir} and none applied (\`gridauthz policy apply <file>\`)`;
      return;
    }
    const text = files.map((f) => `# --- ${f}\n${readFileSync(join(policyDir, f), 'utf8')}`).join('\n');
    const parsed = parsePolicy(text, policyDir);
    if (!parsed.ok) {
      this.log.error({ policyDir, diagnostics: parsed.error.diagnostics.slice(0, 10) }, 'the shipped policy does not compile; not loaded');
      this.noPolicyReason = `no site policy: the files in ${policyDir} do not compile (\`gridauthz policy lint\`); apply a good one with \`gridauthz policy apply <file>\``;
      return;
    }
    const version = await this.stores.policies.storeAndActivateIfNone(text, 'gridauthz', `initial policy from ${policyDir}`);
    if (version) this.log.info({ version: version.id, files }, 'policy directory stored as the first policy version');
  }

  /** Loads the given parts (all by default) from storage. */
  async reload(topics: readonly SiteTopic[] = ['policy', 'mapping', 'ban', 'caller', 'token-link', 'token-issuer']): Promise<void> {
    for (const topic of topics) {
      if (topic === 'token-link') await this.reloadTokenLinks();
      else if (topic === 'token-issuer') await this.reloadTokenIssuers();
      else if (topic === 'policy') await this.reloadPolicy();
      else if (topic === 'mapping') await this.reloadMapping();
      else if (topic === 'caller') await this.reloadCallers();
      else if (topic === 'ban') await this.reloadBans();
    }
  }

  readiness(): ReadinessCheck[] {
    return [
      {
        name: 'policy',
        check: async () => (this.policySet ? { ok: true, detail: `policy ${this.policyLabel}` } : { ok: false, detail: this.noPolicyReason }),
      },
      {
        name: 'mapping',
        check: async () =>
          this.compiledMapping
            ? { ok: true, detail: `${this.compiledMapping.pools.size} pools, ${this.compiledMapping.rules.length} rules` }
            : { ok: false, detail: 'no mapping configuration loaded' },
      },
    ];
  }

  private async reloadPolicy(): Promise<void> {
    const version = await this.stores.policies.active();
    if (!version) return;
    const label = `version ${version.id} (${version.sha256.slice(0, 12)})`;
    if (label === this.policyLabel) return;
    const parsed = parsePolicy(version.text, `policy-version-${version.id}`);
    if (!parsed.ok) {
      this.log.error({ version: version.id, diagnostics: parsed.error.diagnostics.slice(0, 10) }, 'active policy does not compile; keeping the previous one');
      return;
    }
    this.policySet = parsed.value;
    this.policyLabel = label;
    this.log.info({ policy: label }, 'policy loaded');
  }

  private async reloadMapping(): Promise<void> {
    const compiled = compileMappingConfig(await this.stores.mapping.load(), this.settings);
    if (!compiled.ok) {
      this.log.error({ problems: compiled.error.problems.slice(0, 10).map(describeProblem) }, 'mapping configuration does not compile; keeping the previous one');
      return;
    }
    this.compiledMapping = compiled.value;
    this.log.info({ pools: compiled.value.pools.size, rules: compiled.value.rules.length }, 'mapping configuration loaded');
    this.rebuildCallers();
  }

  private async reloadCallers(): Promise<void> {
    this.storedCallers = await this.stores.callers.entries((row, message) =>
      this.log.error({ dn: row.dn, role: row.role, problem: message }, 'caller row does not parse as a DN; ignored'),
    );
    this.rebuildCallers();
    this.log.info({ callers: this.callerModel.entries.length }, 'callers loaded');
  }

  /** Settings, the caller table and, for databases written before it, the old payload_caller whitelist (as pilots). */
  private rebuildCallers(): void {
    const legacy: CallerEntry[] = (this.compiledMapping?.payloadCallers ?? []).map((c) => ({ dn: c.parsedDn, role: 'pilot', source: 'legacy', comment: `payload caller ${c.id}` }));
    this.callerModel = CallerModel.of([...this.configCallers, ...this.storedCallers, ...legacy]);
  }

  private async reloadTokenLinks(): Promise<void> {
    if (!this.tokenSink || !this.stores.tokenLinks) return;
    const links = await this.stores.tokenLinks.links((row, message) =>
      this.log.error({ issuer: row.issuer, subject: row.subject, dn: row.dn, problem: message }, 'token link does not parse; ignored'),
    );
    this.tokenSink.setLinks(new TokenLinks(links));
    this.log.info({ links: links.length }, 'token links loaded');
  }

  private async reloadTokenIssuers(): Promise<void> {
    if (!this.tokenSink || !this.stores.tokenIssuers) return;
    this.tokenSink.setDatabaseIssuers(await this.stores.tokenIssuers.list());
  }

  private async reloadBans(): Promise<void> {
    this.activeBans = await this.stores.bans.listActive(this.clock());
    this.log.info({ bans: this.activeBans.length }, 'bans loaded');
  }
}
