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
  // adminaudit lane: bearer tokens and Authorization headers wherever a log line carries them.
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
];

/**
 * A URL as it may be logged: the path and the query parameter names, never their values. A client may send a
 * credential in the query string (`?access_token=…`, refused by the admin API, but the refusal is logged), and no
 * list of "secret" names is complete, so every value is replaced.
 */
export function redactUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const q = url.indexOf('?');
  if (q < 0) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => `${pair.split('=')[0] ?? ''}=[redacted]`);
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/** Serializers of fields that may carry a request URL; every logger (and the tests' log capture) uses them. */
export const LOG_SERIALIZERS: Record<string, (value: unknown) => unknown> = {
  url: redactUrl,
  route: redactUrl,
  instance: redactUrl,
  req: (req: unknown) => {
    if (typeof req !== 'object' || req === null) return req;
    const r = req as { method?: unknown; url?: unknown; id?: unknown };
    return { method: r.method, url: redactUrl(r.url), id: r.id };
  },
};

export function createLogger(config: Pick<Config, 'log'>, destination?: pino.DestinationStream): Logger {
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stdout.isTTY === true && destination === undefined);
  const options: pino.LoggerOptions = {
    name: 'gridauthz',
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: LOG_SERIALIZERS,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (pretty) options.transport = { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } };
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
