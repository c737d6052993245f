import { constants as cryptoConstants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config';

/**
 * TLS options of every mutual-TLS listener (PDP, admin), read afresh so a reload picks up new files. OpenSSL is
 * told to accept any client certificate because it would refuse RFC 3820 proxies; the guards validate every chain.
 */
export function mutualTlsOptions(config: Pick<Config, 'tls'>, caPems: string[]) {
  return {
    key: readFileSync(config.tls.keyFile),
    cert: readFileSync(config.tls.certFile),
    ca: caPems,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2' as const,
    // No session tickets: a resumed session shows the server only the leaf certificate, not the chain.
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
  };
}
