/**
 * The site configuration every decision reads: the active policy, the compiled mapping configuration, the active
 * bans and the callers. Each is an immutable snapshot replaced whole on reload, so a decision in flight sees one
 * consistent version; a reload that fails (a policy that no longer compiles) keeps the previous snapshot. The app
 * provides the loaders (`SiteSources`: database rows, files) and tells it when to reload (its change feed).
 */
import type { LogSink } from '@gridauthz/domain';
import {
  type Ban,
  type CallerEntry,
  CallerModel,
  type CompiledMappingConfig,
  compileMappingConfig,
  describeProblem,
  type HostRules,
  type MappingConfig,
  type MappingSettings,
} from '@gridauthz/mapping';
import { parsePolicy, type PolicySet } from '@gridauthz/policy';
import type { DecisionConfiguration } from '../ports';
import type { AccountObligationMode } from '../stages/obligations';

export type SiteTopic = 'ban' | 'policy' | 'mapping' | 'caller';
export const SITE_TOPICS: readonly SiteTopic[] = ['policy', 'mapping', 'ban', 'caller'];

/** The active policy as stored: its text and a label that changes whenever the text does. */
export interface StoredPolicy {
  readonly label: string;
  /** Where the text came from, for diagnostics (e.g. policy-version-3). */
  readonly source: string;
  readonly text: string;
}

/** Loader ports the app provides. */
export interface SiteSources {
  /** The active policy, or undefined when none is stored yet. */
  activePolicy(): Promise<StoredPolicy | undefined>;
  /** The mapping configuration as stored, to be compiled here. */
  mapping(): Promise<MappingConfig>;
  /** Bans in force at `now`. */
  activeBans(now: Date): Promise<readonly Ban[]>;
  /** Callers from the caller table; a row that does not parse is reported and skipped. */
  callers(onBadRow: (row: { dn: string; role: string }, message: string) => void): Promise<CallerEntry[]>;
}

/** What the site settings fix for the process's life. */
export interface SiteSettings {
  readonly mapping: MappingSettings;
  /** Callers the settings name (pdp.callers, pdp.trustedAsserters). */
  readonly configCallers: readonly CallerEntry[];
  /** prima.hostToResource, prima.gumsLegacy. */
  readonly hostRules?: HostRules;
  /** policy.accountObligation; default auto. */
  readonly accountObligation?: AccountObligationMode;
}

/** A readiness probe, as /readyz and the start-up log show it. */
export interface SiteReadiness {
  readonly name: 'policy' | 'mapping';
  check(): Promise<{ ok: boolean; detail: string }>;
}

export class SiteSnapshot implements DecisionConfiguration {
  private policySet: PolicySet | undefined;
  private policyLabel = 'none';
  /** Why no policy is loaded, in words the log and /readyz share. */
  private noPolicyReason = 'no site policy loaded (`gridauthz policy apply <file>`)';
  private compiledMapping: CompiledMappingConfig | undefined;
  private activeBans: readonly Ban[] = [];
  private storedCallers: readonly CallerEntry[] = [];
  private callerModel: CallerModel;

  constructor(
    private readonly sources: SiteSources,
    private readonly settings: SiteSettings,
    private readonly log: LogSink,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.callerModel = CallerModel.of(settings.configCallers, settings.hostRules ?? {});
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

  accountObligation(): AccountObligationMode {
    return this.settings.accountObligation ?? 'auto';
  }

  /** Says why there is no policy (no policy directory, files that do not compile), until one is loaded. */
  explainNoPolicy(reason: string): void {
    this.noPolicyReason = reason;
  }

  /** Loads the given parts (all by default) from the sources. */
  async reload(topics: readonly SiteTopic[] = SITE_TOPICS): Promise<void> {
    for (const topic of topics) {
      if (topic === 'policy') await this.reloadPolicy();
      else if (topic === 'mapping') await this.reloadMapping();
      else if (topic === 'caller') await this.reloadCallers();
      else await this.reloadBans();
    }
  }

  readiness(): SiteReadiness[] {
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
    const stored = await this.sources.activePolicy();
    if (!stored || stored.label === this.policyLabel) return;
    const parsed = parsePolicy(stored.text, stored.source);
    if (!parsed.ok) {
      this.log.error({ policy: stored.label, diagnostics: parsed.error.diagnostics.slice(0, 10) }, 'active policy does not compile; keeping the previous one');
      return;
    }
    this.policySet = parsed.value;
    this.policyLabel = stored.label;
    this.log.info({ policy: stored.label }, 'policy loaded');
  }

  private async reloadMapping(): Promise<void> {
    const compiled = compileMappingConfig(await this.sources.mapping(), this.settings.mapping);
    if (!compiled.ok) {
      this.log.error({ problems: compiled.error.problems.slice(0, 10).map(describeProblem) }, 'mapping configuration does not compile; keeping the previous one');
      return;
    }
    this.compiledMapping = compiled.value;
    this.log.info({ pools: compiled.value.pools.size, rules: compiled.value.rules.length }, 'mapping configuration loaded');
    this.rebuildCallers();
  }

  private async reloadCallers(): Promise<void> {
    this.storedCallers = await this.sources.callers((row, message) => this.log.error({ dn: row.dn, role: row.role, problem: message }, 'caller row does not parse as a DN; ignored'));
    this.rebuildCallers();
    this.log.info({ callers: this.callerModel.entries.length }, 'callers loaded');
  }

  /** Settings, the caller table and, for databases written before it, the old payload_caller whitelist (as pilots). */
  private rebuildCallers(): void {
    const legacy: CallerEntry[] = (this.compiledMapping?.payloadCallers ?? []).map((c) => ({ dn: c.parsedDn, role: 'pilot', source: 'legacy', comment: `payload caller ${c.id}` }));
    this.callerModel = CallerModel.of([...this.settings.configCallers, ...this.storedCallers, ...legacy], this.settings.hostRules ?? {});
  }

  private async reloadBans(): Promise<void> {
    this.activeBans = await this.sources.activeBans(this.clock());
    this.log.info({ bans: this.activeBans.length }, 'bans loaded');
  }
}
