import type { LogSink } from '@gridauthz/domain';
import type { Database } from '../database/database';

export type ConfigTopic = 'ban' | 'policy' | 'mapping' | 'caller' | 'token-link' | 'token-issuer';

/**
 * Polls config_generation and calls back with the topics whose generation moved. One indexed read of a
 * handful of rows per interval: cheap enough to run every few hundred milliseconds on every replica, and
 * it needs neither LISTEN/NOTIFY (which the embedded database's socket does not relay) nor clock agreement.
 */
export class GenerationWatcher {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly onChange: (topics: ConfigTopic[]) => Promise<void> | void,
    private readonly log: LogSink,
    private readonly intervalMs = 250,
  ) {}

  /** Reads the current generations (without reporting them as changes) and starts polling. */
  async start(): Promise<void> {
    await this.poll(false);
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.poll(true).finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Polls once now; used by tests and after this process made a change itself. A periodic poll in flight may have
   * marked the change as seen and still be loading it: wait for it first, or this poll would find nothing new and
   * return before the change is in effect.
   */
  async pollNow(): Promise<void> {
    while (this.running) await this.running;
    // Registered as the running poll, so that no periodic poll starts (and marks the change seen) beside it.
    const poll: Promise<void> = this.poll(true).finally(() => {
      if (this.running === poll) this.running = undefined;
    });
    this.running = poll;
    await poll;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async poll(report: boolean): Promise<void> {
    let rows: { topic: string; generation: string }[];
    try {
      rows = await this.db.dataSource.query(`SELECT topic, generation::text AS generation FROM config_generation`);
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'could not poll configuration generations');
      return;
    }
    const changed: ConfigTopic[] = [];
    for (const row of rows) {
      if (this.seen.get(row.topic) !== row.generation) {
        this.seen.set(row.topic, row.generation);
        changed.push(row.topic as ConfigTopic);
      }
    }
    if (report && changed.length > 0) {
      try {
        await this.onChange(changed);
      } catch (err) {
        this.log.error({ err: { message: (err as Error).message }, topics: changed }, 'reloading changed configuration failed');
      }
    }
  }
}
