import type { Logger } from 'pino';
import { coarseCode, CredentialValidator, IgtfTrustStore } from '@gridauthz/credentials';
import { ok } from '@gridauthz/domain';
import type { TrustBinding } from './bootstrap';
import type { Config } from './config';
import { subjectVerifier } from './site/subject-verifier';
import type { CallerAuthenticator } from './tls/caller-authenticator';

/**
 * Opens the IGTF trust directory and vomsdir, watches them (fetch-crl rewrites CRLs several times a day),
 * and binds them to the listener: the caller authenticator and the CA list offered in the TLS handshake.
 */
export async function openTrust(config: Config, log: Logger): Promise<TrustBinding> {
  const store = await IgtfTrustStore.open({ caDir: config.trust.caDir, vomsDir: config.trust.vomsDir, log: log.child({ component: 'trust' }) });
  store.watch();
  // One validator for PDP callers, payload subjects and the admin API: the same names are refused everywhere.
  const validator = new CredentialValidator(store, { ambiguousDns: config.trust.allowAmbiguousDns ? 'allow' : 'refuse' });
  if (config.trust.allowAmbiguousDns) log.warn('trust.allowAmbiguousDns is on: certificates whose slash-form DN reads as another name are accepted (docs/identities.md)');
  const authenticator: CallerAuthenticator = {
    authenticate(chain, now) {
      const result = validator.validate(chain, now);
      // The transport reports the stable coarse code; the fine one (credentials.md §8) leads the detail.
      if (!result.ok) return { ok: false, error: { code: coarseCode(result.error.code), detail: `${result.error.code}: ${result.error.detail}` } };
      const credential = result.value;
      return ok({
        dn: credential.identity.subject,
        viaProxy: credential.proxies.length > 0,
        certSerial: credential.identity.serialHex,
        certIssuer: credential.identity.issuer,
        limited: credential.limited,
        notAfter: credential.notAfter,
        chainLength: chain.length,
        // For a caller asking about itself: answered from its own chain's VOMS ACs (docs/callers.md).
        chain,
      });
    },
  };
  const unsubscribers: (() => void)[] = [];
  return {
    authenticator,
    subjectVerifier: subjectVerifier(validator, { limitedProxyPayload: config.credentials.limitedProxy.payload }),
    caPems: () => store.anchorsPem(),
    newestCrlAgeSeconds: () => store.stats().newestCrlAgeSeconds ?? undefined,
    readiness: {
      name: 'trust store',
      async check() {
        const stats = store.stats();
        return stats.caCount > 0
          ? { ok: true, detail: `${stats.caCount} CAs, ${stats.crlCount} CRLs loaded` }
          : { ok: false, detail: `no CA certificates loaded from ${config.trust.caDir}` };
      },
    },
    onChange: (listener) => void unsubscribers.push(store.onChange(listener)),
    close() {
      for (const unsubscribe of unsubscribers) unsubscribe();
      store.close();
    },
  };
}
