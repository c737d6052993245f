import { describe, expect, it } from 'vitest';
import { captureLog } from '../../../test/support/log-capture';
import { redactUrl } from './logger';

describe('log redaction', () => {
  it('keeps the path and query parameter names of a URL, never a value', () => {
    expect(redactUrl('/api/v1/bans?access_token=gza_secret&state=all')).toBe('/api/v1/bans?access_token=[redacted]&state=[redacted]');
    expect(redactUrl('/api/v1/bans')).toBe('/api/v1/bans');
    expect(redactUrl('/x?novalue')).toBe('/x?novalue=[redacted]');
    expect(redactUrl(42)).toBe(42);
  });

  it('censors Authorization headers and token fields wherever a line carries them', () => {
    const log = captureLog();
    log.logger.info({ url: '/a?t=s3cr3t', headers: { authorization: 'Bearer s3cr3t' }, token: 's3cr3t', req: { method: 'GET', url: '/b?access_token=s3cr3t' } }, 'x');
    expect(log.raw()).not.toContain('s3cr3t');
    expect(log.lines()[0]).toMatchObject({ url: '/a?t=[redacted]', req: { url: '/b?access_token=[redacted]' }, token: '[redacted]' });
  });
});
