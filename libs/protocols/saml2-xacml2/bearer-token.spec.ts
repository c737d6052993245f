import { describe, expect, it } from 'vitest';
import { encodeXacmlQuery, XACML_CLIENT_DIALECTS } from './client/query';
import { decodeXacmlQuery } from './decode';
import { GRIDAUTHZ } from '../profiles/gridauthz';

const TOKEN = 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const query = (dialect: (typeof XACML_CLIENT_DIALECTS)[number]) =>
  encodeXacmlQuery({ dialect, bearerToken: TOKEN, hostName: 'ce01.example.org', now: new Date('2026-12-07T16:00:00Z'), idGenerator: () => 'q1' }).body;

/** The bearer token as an access-subject attribute of a SAML2-XACML2 query (docs/authzen.md §6). */
describe('bearer token in SAML2-XACML2 queries', () => {
  it.each(XACML_CLIENT_DIALECTS)('%s: the token is the subject credential, and not a policy attribute', (dialect) => {
    const decoded = decodeXacmlQuery(query(dialect));
    if (!decoded.ok) throw new Error(decoded.error.detail);
    const q = decoded.value.request;
    expect(q.subject.token).toBe(TOKEN);
    expect(q.subject.chain).toBeUndefined();
    expect(q.subject.attributes?.[GRIDAUTHZ.subject.bearerToken]).toBeUndefined();
    // A token is a subject: no "the query identifies no subject" defect.
    expect(q.defects).toEqual([]);
  });

  it('refuses two different tokens as an ambiguous credential', () => {
    const two = query('grid-wn').replace(`<xacml-context:AttributeValue>${TOKEN}</xacml-context:AttributeValue>`, `<xacml-context:AttributeValue>${TOKEN}</xacml-context:AttributeValue><xacml-context:AttributeValue>${TOKEN}x</xacml-context:AttributeValue>`);
    expect(two).toContain(`${TOKEN}x`);
    const decoded = decodeXacmlQuery(two);
    if (!decoded.ok) throw new Error(decoded.error.detail);
    expect(decoded.value.request.subject.token).toBeUndefined();
    expect(decoded.value.request.defects.map((d) => d.code)).toEqual(['REQUEST_AMBIGUOUS_CREDENTIAL']);
  });
});
