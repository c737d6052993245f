import { request } from 'node:https';

/** One answer of an issuer's JWKS endpoint, as much of it as the key cache needs. */
export type JwksHttpAnswer =
  | { readonly status: 'ok'; readonly body: string; readonly etag?: string; readonly cacheControl?: string }
  | { readonly status: 'not-modified' };

export interface JwksFetchOptions {
  /** The ETag of the keys held, for a conditional request. */
  readonly etag?: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/**
 * The port through which the key cache reads a JWKS URL. It throws (with a short message) for anything that is
 * not a usable answer: network error, timeout, a status other than 200/304, a body over maxBytes.
 */
export type JwksFetcher = (url: string, options: JwksFetchOptions) => Promise<JwksHttpAnswer>;

export interface HttpsJwksFetcherOptions {
  /** Trust anchors for the issuers' TLS certificates; default Node's bundled public CAs. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

/**
 * The production fetcher: HTTPS only, certificate and host name verified (the WLCG profile requires both),
 * no redirects followed, body size and time bounded.
 */
export function httpsJwksFetcher(options: HttpsJwksFetcherOptions = {}): JwksFetcher {
  return (url, opts) =>
    new Promise<JwksHttpAnswer>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== 'https:') {
        reject(new Error(`not an https URL: ${url}`));
        return;
      }
      const headers: Record<string, string> = { accept: 'application/json, application/jwk-set+json' };
      if (opts.etag !== undefined) headers['if-none-match'] = opts.etag;
      const req = request(
        target,
        {
          method: 'GET',
          headers,
          timeout: opts.timeoutMs,
          ...(options.ca !== undefined ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status === 304) {
            res.resume();
            resolve({ status: 'not-modified' });
            return;
          }
          if (status !== 200) {
            res.resume();
            reject(new Error(`HTTP ${status}`));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > opts.maxBytes) {
              req.destroy(new Error(`JWKS larger than ${opts.maxBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const etag = res.headers.etag;
            const cacheControl = res.headers['cache-control'];
            resolve({
              status: 'ok',
              body: Buffer.concat(chunks).toString('utf8'),
              ...(etag !== undefined ? { etag } : {}),
              ...(cacheControl !== undefined ? { cacheControl } : {}),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
}
