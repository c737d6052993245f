import { AUTHZEN_EVALUATION_PATH, AUTHZEN_EVALUATIONS_PATH } from './decode';

/**
 * The AuthZEN PDP metadata document (docs/reference/authzen.md §9): where it is published and what it holds.
 * gridauthz offers the two evaluation endpoints and no search endpoint, so only those are named (§9.2.2: a
 * parameter without a value is left out, and its absence tells the PEP the API is not offered).
 */
export const AUTHZEN_METADATA_PATH = '/.well-known/authzen-configuration';

export interface AuthzenMetadata {
  readonly policy_decision_point: string;
  readonly access_evaluation_endpoint: string;
  readonly access_evaluations_endpoint: string;
}

export type PdpIdentifierResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

/**
 * Checks a PDP identifier (§9.1.1: an https URL without query or fragment) and returns it as `https://host[:port]`,
 * host lower-cased and the default port left out, the one spelling PEPs compare against (§9.2.3). A path is
 * refused too: gridauthz serves the endpoints and the document at the root of its listener, and mutual TLS ends
 * at gridauthz itself, so no proxy can graft them under a prefix.
 */
export function pdpIdentifier(text: string): PdpIdentifierResult {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: 'expected an https URL such as https://pdp.example.org:8443' };
  }
  if (url.protocol !== 'https:') return { ok: false, error: `expected an https URL (the PDP listener is TLS only), got scheme ${url.protocol.replace(/:$/, '')}` };
  if (url.username !== '' || url.password !== '') return { ok: false, error: 'a PDP URL may not carry a user name or password' };
  if (text.includes('?') || text.includes('#')) return { ok: false, error: 'a PDP URL may not have a query or fragment (AuthZEN §9.1.1)' };
  if (url.pathname !== '/') return { ok: false, error: `a PDP URL may not have a path (${url.pathname}): gridauthz serves AuthZEN at the root of the PDP listener` };
  return { ok: true, value: url.origin };
}

/** The metadata document for a PDP identifier already checked by pdpIdentifier. */
export function authzenMetadata(pdp: string): AuthzenMetadata {
  return {
    policy_decision_point: pdp,
    access_evaluation_endpoint: `${pdp}${AUTHZEN_EVALUATION_PATH}`,
    access_evaluations_endpoint: `${pdp}${AUTHZEN_EVALUATIONS_PATH}`,
  };
}
