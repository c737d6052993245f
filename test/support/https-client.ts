import { request } from 'node:https';
import type { ClientIdentity } from './fixtures';

export interface HttpsResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly sessionReused: boolean;
}

export interface HttpsCall {
  readonly url: string;
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly identity?: ClientIdentity;
  /** CA certificates (PEM) to verify the server with. */
  readonly ca: string;
  /** TLS session to try to resume. */
  readonly session?: Buffer;
  readonly onSession?: (session: Buffer) => void;
  /** Local address to connect from (e.g. 127.0.0.2: a second "host" on loopback). */
  readonly localAddress?: string;
}

/** One HTTPS request on a fresh connection (no agent), optionally with a client certificate. */
export function httpsCall(call: HttpsCall): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      call.url,
      {
        method: call.method ?? 'GET',
        agent: false,
        ca: call.ca,
        servername: 'localhost',
        ...(call.identity ? { cert: call.identity.cert, key: call.identity.key } : {}),
        ...(call.session ? { session: call.session } : {}),
        ...(call.localAddress ? { localAddress: call.localAddress } : {}),
        headers: { ...(call.body !== undefined ? { 'content-type': 'text/xml; charset=utf-8' } : {}), ...call.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const socket = res.socket as import('node:tls').TLSSocket;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), sessionReused: socket.isSessionReused?.() ?? false });
        });
        res.on('error', reject);
      },
    );
    req.on('socket', (socket) => {
      if (call.onSession) socket.on('session', (s: Buffer) => call.onSession?.(s));
    });
    req.on('error', reject);
    req.end(call.body);
  });
}
