import { fail, ok, type Result } from '@gridauthz/domain';
import { banValueKey, checkBanDraft, isBanActive, type Ban, type BanDraft } from './ban';

export interface BanUpsertSummary {
  readonly inserted: readonly Ban[];
  readonly unchanged: readonly Ban[];
}

/**
 * Stored bans (ARCHITECTURE "Data": ban). The natural key is (kind, issuer, value), a DN ban's value by its structured
 * key (banValueKey): importing a ban list twice adds nothing the second time. Lists are ordered by createdAt, then id, so findBan's "first" is stable.
 */
export interface BanStore {
  add(draft: BanDraft): Promise<Result<Ban, 'MAPPING_CONFIG_INVALID'>>;
  /** Inserts drafts whose (kind, value) is not stored yet; all or nothing if any draft is malformed. */
  upsert(drafts: readonly BanDraft[]): Promise<Result<BanUpsertSummary, 'MAPPING_CONFIG_INVALID'>>;
  remove(id: string): Promise<boolean>;
  /** Bans not expired at `now`. */
  listActive(now: Date): Promise<readonly Ban[]>;
  list(): Promise<readonly Ban[]>;
}

export class InMemoryBanStore implements BanStore {
  private readonly bans = new Map<string, Ban>();
  private counter = 0;

  constructor(private readonly newId: () => string = () => `ban-${++this.counter}`) {}

  async add(draft: BanDraft): Promise<Result<Ban, 'MAPPING_CONFIG_INVALID'>> {
    const problem = checkBanDraft(draft);
    if (problem !== undefined) return fail('MAPPING_CONFIG_INVALID', problem);
    const ban = stored(draft, this.newId());
    this.bans.set(ban.id, ban);
    return ok(ban);
  }

  async upsert(drafts: readonly BanDraft[]): Promise<Result<BanUpsertSummary, 'MAPPING_CONFIG_INVALID'>> {
    const problems = drafts.flatMap((d) => {
      const p = checkBanDraft(d);
      return p === undefined ? [] : [`${d.kind} ${d.value}: ${p}`];
    });
    if (problems.length > 0) return fail('MAPPING_CONFIG_INVALID', problems.join('; '));
    const inserted: Ban[] = [];
    const unchanged: Ban[] = [];
    for (const d of drafts) {
      const key = banValueKey(d);
      const existing = [...this.bans.values()].find((b) => b.kind === d.kind && b.issuer === d.issuer && (key !== null ? banValueKey(b) === key : b.value === d.value));
      if (existing) {
        unchanged.push(existing);
        continue;
      }
      const ban = stored(d, this.newId());
      this.bans.set(ban.id, ban);
      inserted.push(ban);
    }
    return ok({ inserted, unchanged });
  }

  async remove(id: string): Promise<boolean> {
    return this.bans.delete(id);
  }

  async listActive(now: Date): Promise<readonly Ban[]> {
    return (await this.list()).filter((b) => isBanActive(b, now));
  }

  async list(): Promise<readonly Ban[]> {
    return [...this.bans.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

function stored(d: BanDraft, id: string): Ban {
  return { kind: d.kind, value: d.value, issuer: d.issuer, reason: d.reason, author: d.author, createdAt: d.createdAt, expiresAt: d.expiresAt, id };
}
