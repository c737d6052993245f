import { constants as cryptoConstants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config';

/**
 * Cipher suites of every mutual-TLS listener: forward-secret key exchange only (ECDHE, or DHE, for TLS 1.2; every
 * TLS 1.3 suite is), AEAD first, then the ECDHE CBC suites older Java and OpenSSL 1.0 grid clients offer. Node's
 * default list ends in OpenSSL's HIGH, which admits static-RSA key exchange (AES128-SHA and kin): a recorded
 * session could then be read by anyone who later obtains the host key. docs/operations.md lists what is accepted.
 */
export const PDP_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
].join(':');

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
    ciphers: PDP_CIPHERS,
    // Our order, not the client's: an old client offering a CBC suite first still gets GCM when it has it.
    honorCipherOrder: true,
    // OpenSSL's built-in well-known group for DHE (RFC 7919 ffdhe2048 and up), for clients without ECDHE.
    dhparam: 'auto' as const,
    // No session tickets: a resumed session shows the server only the leaf certificate, not the chain.
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
  };
}
