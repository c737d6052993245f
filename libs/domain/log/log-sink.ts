/**
 * The logging port libs write to: pino's method signature (object first, then message), so the app passes
 * its pino logger straight in and tests pass a recorder. Never log private keys or whole PEM chains.
 */
export interface LogSink {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLog: LogSink = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
