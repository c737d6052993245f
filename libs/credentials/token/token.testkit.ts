import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test material for the token validator: keys on disk, tokens minted by Debian's scitokens-cpp (`scitokens-create`,
 * an implementation independent of ours and of jose), RS256 tokens signed by `openssl dgst` for the claims
 * scitokens-create cannot write, and hand-made tokens for the attacks no honest tool produces.
 */

export const SCITOKENS_CREATE_AVAILABLE = spawnSync('scitokens-create', ['--help'], { stdio: 'ignore' }).status === 0;
export const SCITOKENS_SKIP_NOTE = 'scitokens-create is not installed (apt-get install scitokens-cpp; .ci/run installs it)';

export interface TestKey {
  readonly kid: string;
  readonly privateFile: string;
  readonly publicFile: string;
  readonly publicPem: string;
  /** The public JWK as an issuer publishes it. */
  readonly jwk: Record<string, unknown>;
}

/** An ES256 (P-256) or RS256 (2048-bit) key pair written to dir as PEM files. */
export function writeTestKey(dir: string, kid: string, type: 'ec' | 'rsa'): TestKey {
  const { privateKey, publicKey } =
    type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateFile = join(dir, `${kid}.key.pem`);
  const publicFile = join(dir, `${kid}.pub.pem`);
  writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  writeFileSync(publicFile, publicPem);
  const jwk = { ...createPublicKey(publicPem).export({ format: 'jwk' }), kid, use: 'sig', alg: type === 'ec' ? 'ES256' : 'RS256' };
  return { kid, privateFile, publicFile, publicPem, jwk };
}

export const jwksOf = (...keys: TestKey[]): { keys: Record<string, unknown>[] } => ({ keys: keys.map((k) => k.jwk) });

/**
 * A token from scitokens-create (always ES256, with iat = nbf = now and exp = now + 600 s). `kid` may differ from
 * the key's own to make a token whose kid the issuer never published. Claims are strings only (the tool's limit).
 */
export function scitokensCreate(opts: {
  key: TestKey;
  issuer: string;
  profile: 'wlcg' | 'scitokens1' | 'scitokens2';
  claims: Record<string, string>;
  kid?: string;
}): string {
  const args = ['--cred', opts.key.publicFile, '--key', opts.key.privateFile, '--keyid', opts.kid ?? opts.key.kid, '--issuer', opts.issuer, '--profile', opts.profile];
  for (const [k, v] of Object.entries(opts.claims)) args.push('--claim', `${k}=${v}`);
  return execFileSync('scitokens-create', args, { encoding: 'utf8' }).trim();
}

export const b64url = (value: object | string | Buffer): string =>
  Buffer.from(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value)).toString('base64url');

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An RS256 token signed by `openssl dgst -sha256 -sign` (RSASSA-PKCS1-v1_5, what RS256 is). */
export function opensslRs256(key: TestKey, payload: object, header: object = { alg: 'RS256', typ: 'JWT', kid: key.kid }): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = execFileSync('openssl', ['dgst', '-sha256', '-sign', key.privateFile], { input });
  return `${input}.${signature.toString('base64url')}`;
}

/** Hand-made: `alg: none`, empty signature. No tool mints these; attackers do. */
export function unsignedToken(payload: object, alg = 'none', kid?: string): string {
  return `${b64url({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })}.${b64url(payload)}.`;
}

/** Hand-made: HS256 with a public value (the PEM, the JWK) as the HMAC secret, the classic key-confusion attack. */
export function hs256WithSecret(payload: object, secret: string, kid: string): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT', kid })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** WLCG claims as an issuer would write them, times relative to nowSec. */
export function wlcgClaims(issuer: string, nowSec: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: issuer,
    sub: 'e1eb758b-b73c-4761-bfff-adc793da409c',
    aud: 'https://ce.example.org',
    'wlcg.ver': '1.0',
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + 1200,
    jti: '40ce5a87-e419-4bdf-9e11-61dfb160f89d',
    ...extra,
  };
}
