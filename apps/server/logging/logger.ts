import pino, { type Logger } from 'pino';
import type { Config } from '../config';

/**
 * JSON logs for machines, pretty on a terminal. Fields that could carry key material or whole certificates
 * are censored wherever they appear; code never puts a PEM or a key into a log line in the first place.
 */
export const REDACTED_PATHS = [
  'key',
  'privateKey',
  'pem',
  'proxy',
  'password',
  '*.key',
  '*.privateKey',
  '*.pem',
  '*.proxy',
  '*.password',
  'req.headers.authorization',
  'config.database.url',
];

export function createLogger(config: Pick<Config, 'log'>, destination?: pino.DestinationStream): Logger {
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stdout.isTTY === true && destination === undefined);
  const options: pino.LoggerOptions = {
    name: 'gridauthz',
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (pretty) return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } } });
  return pino(options);
}

/** Strips credentials from a database URL before it is shown anywhere. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
