import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The captured exchanges of prima-saml1.md §10.2 and the constructed example of §9. V1 and V2 are stored as
 * captured (one line on the wire); the other vectors are described in prose there, so they are derived from
 * V1/V2 by exactly the edits the spec describes.
 */
export const fixture = (name: string): string => readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8');

export const V1 = fixture('v1-request.xml');
export const V2 = fixture('v2-permit-response.xml');
export const SPEC9_REQUEST = fixture('spec-9-request.xml');
export const SPEC9_RESPONSE = fixture('spec-9-response.xml');

export const V1_REQUEST_ID = 'b9ab177dd5938abd593a4597c193c14d';
export const GK01 = '/DC=org/DC=doegrids/OU=Services/CN=gk01.example.edu';
export const JANE = '/DC=org/DC=doegrids/OU=People/CN=Jane Doe 12345';
export const CERN_VOMS = '/DC=ch/DC=cern/OU=computers/CN=voms.cern.ch';
export const NZ_RESOURCE = '/C=NZ/O=Example%20Grid/OU=Example%20University/CN=gk01.example.edu';
export const NZ_CALLER = '/C=NZ/O=Example Grid/OU=Example University/CN=ng2.example.ac.nz';

const AS = 'urn:oasis:names:tc:SAML:1.0:assertion';
const PROTOCOL = 'urn:oasis:names:tc:SAML:1.0:protocol';

function replaceOnce(text: string, search: string | RegExp, replacement: string): string {
  const out = text.replace(search, replacement);
  if (out === text) throw new Error(`vector edit did not apply: ${String(search)}`);
  return out;
}

const V1_EVIDENCE = /<Evidence [\s\S]*<\/Evidence>/;
const V1_ACTION = `<Action Namespace="opensciencegrid:authorization" xmlns="${AS}">access_as_local_identity</Action>`;
const V1_RESPOND_WITH_STANDARD = `<RespondWith xmlns="${PROTOCOL}">saml:AuthorizationDecisionStatement</RespondWith>`;
const V1_RESPOND_WITH_OBLIGATED = `<RespondWith xmlns:rw="opensciencegrid:authorization:saml" xmlns="${PROTOCOL}">rw:ObligatedAuthorizationDecisionStatement</RespondWith>`;

/** V4: V1 minus the whole Evidence element. */
export const V4 = replaceOnce(V1, V1_EVIDENCE, '');
/** V5: only the standard RespondWith. */
export const V5 = replaceOnce(V1, V1_RESPOND_WITH_OBLIGATED, '');
/** V6: no RespondWith at all. */
export const V6 = replaceOnce(replaceOnce(V1, V1_RESPOND_WITH_OBLIGATED, ''), V1_RESPOND_WITH_STANDARD, '');
/** V7: an unsupported action (rwedc Read). */
export const V7 = replaceOnce(V1, V1_ACTION, `<Action Namespace="urn:oasis:names:tc:SAML:1.0:action:rwedc" xmlns="${AS}">Read</Action>`);
/** V8: a Resource with %20 for its spaces. */
export const V8 = replaceOnce(V1, `Resource="${GK01}"`, `Resource="${NZ_RESOURCE}"`);
/** V8 variant: the same Resource with raw spaces. */
export const V8_RAW = replaceOnce(V1, `Resource="${GK01}"`, `Resource="${NZ_RESOURCE.replace(/%20/g, ' ')}"`);

/** V9: a second FQAN assertion after V1's (same subject, another issuer and FQAN). */
export const V9 = replaceOnce(V1, /(<Evidence [^>]*>)([\s\S]*)(<\/Evidence>)/, (() => {
  const assertion = /<Evidence [^>]*>([\s\S]*)<\/Evidence>/.exec(V1)?.[1] ?? '';
  const second = assertion
    .replace('/cms/Role=production/Capability=NULL', '/atlas/Role=NULL/Capability=NULL')
    .replace(`Issuer="${CERN_VOMS}"`, 'Issuer="/DC=ch/DC=cern/OU=computers/CN=lcg-voms2.cern.ch"')
    .replace('ebbea7cba475f09bee1e808c9dd7e6cc', 'fbbea7cba475f09bee1e808c9dd7e6cd');
  return `$1$2${second}$3`;
})());

const V2_STATEMENT = /<ObligatedAuthorizationDecisionStatement [\s\S]*<\/ObligatedAuthorizationDecisionStatement>/;
const V2_SUBJECT = /<Subject [\s\S]*<\/Subject>/.exec(V2)?.[0] ?? '';
const V2_ACTION = /<Action [^>]*>access_as_local_identity<\/Action>/.exec(V2)?.[0] ?? '';

/** V2 with a standard statement in place of the obligated one: V3 (Deny), V5 and V7 (Indeterminate). */
export function v2WithPlainStatement(decision: 'Deny' | 'Indeterminate', resource = GK01): string {
  return replaceOnce(V2, V2_STATEMENT, `<AuthorizationDecisionStatement Decision="${decision}" Resource="${resource}" xmlns="${AS}">${V2_SUBJECT}${V2_ACTION}</AuthorizationDecisionStatement>`);
}

/** V2 with another user name, Resource or Recipient (V4, V8). */
export function v2With(edit: { username?: string; resource?: string; recipient?: string; extraObligation?: string }): string {
  let out = V2;
  if (edit.username !== undefined) out = replaceOnce(out, '>cmsprod<', `>${edit.username}<`);
  if (edit.resource !== undefined) out = replaceOnce(out, `Decision="Permit" Resource="${GK01}"`, `Decision="Permit" Resource="${edit.resource}"`);
  if (edit.recipient !== undefined) out = replaceOnce(out, `Recipient="${GK01}"`, `Recipient="${edit.recipient}"`);
  if (edit.extraObligation !== undefined) out = replaceOnce(out, '</XACMLObligation>', `</XACMLObligation>${edit.extraObligation}`);
  return out;
}

/** V6: the Response carries RequestDenied and no Assertion. */
export const V6_RESPONSE = replaceOnce(
  V2,
  /<Status [\s\S]*<\/Assertion>/,
  `<Status xmlns="${PROTOCOL}"><StatusCode Value="samlp:RequestDenied" xmlns="${PROTOCOL}"/><StatusMessage xmlns="${PROTOCOL}">Please contact the system administrator of this authorization service for more information</StatusMessage></Status>`,
);

/** V11: the Axis fault (HTTP 500) for a request it could not parse. */
export const V11_REQUEST = replaceOnce(replaceOnce(V1, '<samlRequest xmlns="">', ''), '</samlRequest>', '');
