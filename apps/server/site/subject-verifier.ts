import { type CredentialValidator, subjectOfCredential } from '@gridauthz/credentials';
import type { SubjectVerifier } from '@gridauthz/decision';
import { ErrorCodes, ok } from '@gridauthz/domain';

/**
 * The decision pipeline's view of a subject chain sent inside a query: the chain is validated exactly as a TLS
 * chain is (proxies, CRLs, namespaces, VOMS) and turned into the domain Subject by the credentials lib
 * (subjectOfCredential). The one rule added here is the site's: a limited proxy is refused unless the site allows
 * it as a payload.
 */
export function subjectVerifier(validator: CredentialValidator, options: { limitedProxyPayload?: 'deny' | 'allow' } = {}): SubjectVerifier {
  const limitedPayload = options.limitedProxyPayload ?? 'deny';
  return {
    verify(chain, now) {
      const result = validator.validate(chain, now);
      if (!result.ok) return { ok: false, error: { code: result.error.code, detail: result.error.detail } };
      // A subject chain is the credential that gets the account. A Globus limited proxy must not start jobs, and
      // LCMAPS refuses one unless the site passes --allow-limited-proxy: refused unless the site allows it
      // (credentials.limitedProxy.payload, docs/limited-proxies-and-logging.md).
      if (result.value.limited && limitedPayload === 'deny') {
        return {
          ok: false,
          error: { code: ErrorCodes.CRED_PROXY_LIMITED_NOT_ALLOWED, detail: 'a limited proxy may not obtain an account on this site (credentials.limitedProxy.payload: deny)' },
        };
      }
      return ok(subjectOfCredential(result.value));
    },
  };
}
