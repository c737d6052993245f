import { type CredentialValidator } from '@gridauthz/credentials';
import type { SubjectVerifier, VerifiedSubject } from '@gridauthz/decision';
import { ErrorCodes, Fqan, ok } from '@gridauthz/domain';

/**
 * The decision pipeline's view of a subject chain sent inside a query: the chain is validated exactly as a TLS
 * chain is (proxies, CRLs, namespaces), then the VOMS attributes; an AC that fails is dropped with its reason and
 * the proxy still identifies the user, as LCMAPS does (credentials.md §6.9). A limited proxy is refused unless the
 * site allows it as a payload.
 */
export function subjectVerifier(validator: CredentialValidator, options: { limitedProxyPayload?: 'deny' | 'allow' } = {}): SubjectVerifier {
  const limitedPayload = options.limitedProxyPayload ?? 'deny';
  return {
    verify(chain, now) {
      const result = validator.validate(chain, now);
      if (!result.ok) return { ok: false, error: { code: result.error.code, detail: result.error.detail } };
      const credential = result.value;
      // A subject chain is the credential that gets the account. A Globus limited proxy must not start jobs, and
      // LCMAPS refuses one unless the site passes --allow-limited-proxy: refused unless the site allows it
      // (credentials.limitedProxy.payload, docs/limited-proxies-and-logging.md).
      if (credential.limited && limitedPayload === 'deny') {
        return {
          ok: false,
          error: { code: ErrorCodes.CRED_PROXY_LIMITED_NOT_ALLOWED, detail: 'a limited proxy may not obtain an account on this site (credentials.limitedProxy.payload: deny)' },
        };
      }
      const fqans = credential.fqans.map((f) => Fqan.tryParse(f)).filter((f): f is Fqan => f !== undefined);
      const primary = credential.primaryFqan === null ? undefined : Fqan.tryParse(credential.primaryFqan);
      const issuerDns = credential.chain.filter((c) => c.role !== 'proxy' && c.issuer !== undefined).map((c) => c.issuer as NonNullable<typeof c.issuer>);
      const subject: VerifiedSubject = {
        dn: credential.identity.subject,
        issuerDn: credential.identity.issuer,
        issuerDns,
        fqans,
        ...(primary ? { primaryFqan: primary } : {}),
        vos: [...new Set(credential.voms.acs.map((ac) => ac.vo))],
        limited: credential.limited,
        droppedAttributes: credential.voms.rejected.map((r) => `${r.code}${r.vo ? ` (${r.vo})` : ''}: ${r.detail}`),
      };
      return ok(subject);
    },
  };
}
