import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { LOG_SERIALIZERS, REDACTED_PATHS } from '../../apps/server/logging/logger';

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: () => Record<string, unknown>[];
  readonly raw: () => string;
}

/** A pino logger (same redaction and serializers as production) whose JSON lines the test can read. */
export function captureLog(level: pino.Level = 'debug'): CapturedLog {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  const logger = pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: LOG_SERIALIZERS }, stream);
  return {
    logger,
    raw: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
