import { isCertificateLabel, parseCertificate, pemBlocks, pemEncode } from '@gridauthz/credentials';
import type { Document, Element, Node } from '@xmldom/xmldom';
import { XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { ProtocolErrorCodes, protocolError } from '../errors';
import type { ProtocolResult } from '../errors';
import { attributeOf, childrenNamed, elementChildren } from '../xml/dom';
import { parseUntrustedXml } from '../xml/safe-parse';
import type { XmlLimits } from '../xml/safe-parse';
import { SAML } from '../profiles/saml';
import { ALLOWED_CANONICALIZATIONS, ALLOWED_DIGEST_METHODS, ALLOWED_SIGNATURE_METHODS, ALLOWED_TRANSFORMS, XMLDSIG } from '../profiles/xmldsig';

/** Key and certificate (PEM) the responses are signed with. */
export interface ResponseSigningKey {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
}

/** How signed queries are checked. The keys are the trust store: a key inside the message is never used. */
export interface RequestSignaturePolicy {
  /** PEM certificates or public keys whose signatures are accepted. */
  readonly trustedKeys: readonly string[];
  /** Refuse unsigned queries (off: nobody in the grid signs, §2.3; on for deployments that demand it). */
  readonly required: boolean;
}

/**
 * Signs the saml2p:Response (enveloped, exclusive c14n, RSA-SHA256), not the Assertion: only the Response
 * carries InResponseTo, so only a Response signature binds the answer to the query it answers (an Assertion
 * signature could be replayed as the answer to a different query). The Signature goes where the SAML schema
 * puts it: after the Response's Issuer, or first when there is none.
 */
export function signResponse(responseXml: string, responseId: string, hasIssuer: boolean, key: ResponseSigningKey): ProtocolResult<string> {
  try {
    const signer = new SignedXml({
      privateKey: key.privateKeyPem,
      publicCert: key.certificatePem,
      signatureAlgorithm: XMLDSIG.rsaSha256,
      canonicalizationAlgorithm: XMLDSIG.excC14n,
    });
    const response = `/*[local-name()='Response' and namespace-uri()='${SAML.protocolNs}']`;
    signer.addReference({
      xpath: response,
      uri: `#${responseId}`,
      transforms: [XMLDSIG.envelopedSignature, XMLDSIG.excC14n],
      digestAlgorithm: XMLDSIG.sha256,
    });
    signer.computeSignature(responseXml, {
      prefix: XMLDSIG.prefix,
      location: hasIssuer
        ? { reference: `${response}/*[local-name()='Issuer' and namespace-uri()='${SAML.assertionNs}']`, action: 'after' }
        : { reference: response, action: 'prepend' },
    });
    return { ok: true, value: signer.getSignedXml() };
  } catch (error) {
    return protocolError(ProtocolErrorCodes.PROTO_SIGNING_FAILED, `signing the response failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Verifies the query's enveloped signature and returns the query as signed (re-parsed from the bytes the
 * signature covers). Signature wrapping is refused structurally before any cryptography: the Signature must
 * be the query's own child, have exactly one Reference, pointing at the query's ID, and that ID must occur
 * once in the whole document.
 */
export function verifyQuerySignature(
  text: string,
  document: Document,
  query: Element,
  policy: RequestSignaturePolicy,
  limits: XmlLimits,
): ProtocolResult<{ query: Element; keyIndex: number }> {
  const queryId = attributeOf(query, 'ID');
  const signatures = childrenNamed(query, [XMLDSIG.ns], 'Signature');
  const signature = signatures[0];
  if (signature === undefined || signatures.length > 1) {
    return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_INVALID, 'query must carry exactly one Signature', queryId);
  }
  if (queryId === undefined || queryId === '') {
    return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_WRAPPING, 'a signed query must have an ID', queryId);
  }
  const signedInfo = childrenNamed(signature, [XMLDSIG.ns], 'SignedInfo');
  const info = signedInfo[0];
  if (info === undefined || signedInfo.length > 1) {
    return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_INVALID, 'Signature must have exactly one SignedInfo', queryId);
  }
  const references = childrenNamed(info, [XMLDSIG.ns], 'Reference');
  const reference = references[0];
  if (reference === undefined || references.length > 1 || attributeOf(reference, 'URI') !== `#${queryId}`) {
    return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_WRAPPING, 'the signature must have one reference, to the query itself', queryId);
  }
  if (countIds(document, queryId) !== 1) {
    return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_WRAPPING, `ID ${queryId} occurs more than once in the message`, queryId);
  }
  const algorithms = checkAlgorithms(info, reference);
  if (algorithms !== undefined) return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_ALGORITHM, algorithms, queryId);

  const signatureXml = new XMLSerializer().serializeToString(signature);
  for (const [keyIndex, trusted] of policy.trustedKeys.entries()) {
    // No idAttribute option: xml-crypto already looks up ID (and Id, id), and naming it again makes it count
    // every element twice and refuse the document as a wrapping attempt.
    const verifier = new SignedXml({
      publicCert: publicKeyOf(trusted),
      // Never the certificate in KeyInfo: the caller's trust store alone decides who may sign.
      getCertFromKeyInfo: () => null,
    });
    restrictAlgorithms(verifier);
    let valid: boolean;
    try {
      verifier.loadSignature(signatureXml);
      valid = verifier.checkSignature(text);
    } catch {
      valid = false;
    }
    if (!valid) continue;
    const signed = verifier.getSignedReferences();
    const signedQuery = signed[0];
    if (signedQuery === undefined || signed.length !== 1) break;
    const reparsed = parseUntrustedXml(signedQuery, limits);
    if (!reparsed.ok) break;
    const root = reparsed.value.document.documentElement;
    if (root === null || root.localName !== query.localName || root.namespaceURI !== query.namespaceURI || attributeOf(root, 'ID') !== queryId) {
      return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_WRAPPING, 'the signed content is not the query', queryId);
    }
    return { ok: true, value: { query: root, keyIndex } };
  }
  return protocolError(ProtocolErrorCodes.PROTO_SIGNATURE_INVALID, 'the signature does not verify with any trusted key', queryId);
}

/** Certificates are reduced to their public key so xml-crypto never sees a chain it might trust on its own. */
function publicKeyOf(pem: string): string {
  const certificate = pemBlocks(pem).find((b) => isCertificateLabel(b.label));
  if (certificate === undefined) return pem;
  return pemEncode('PUBLIC KEY', parseCertificate(certificate.der).spki);
}

function checkAlgorithms(signedInfo: Element, reference: Element): string | undefined {
  const algorithm = (parent: Element, name: string): string | undefined => {
    const element = childrenNamed(parent, [XMLDSIG.ns], name)[0];
    return element === undefined ? undefined : attributeOf(element, 'Algorithm');
  };
  // SignedInfo is canonicalised detached from its document when xml-crypto loads it, so only the
  // exclusive form (independent of ancestors' namespaces) gives a stable result.
  const c14n = algorithm(signedInfo, 'CanonicalizationMethod');
  if (c14n !== XMLDSIG.excC14n) return `canonicalization ${c14n ?? '(none)'} is not allowed`;
  const method = algorithm(signedInfo, 'SignatureMethod');
  if (method === undefined || !ALLOWED_SIGNATURE_METHODS.includes(method)) return `signature method ${method ?? '(none)'} is not allowed`;
  const digest = algorithm(reference, 'DigestMethod');
  if (digest === undefined || !ALLOWED_DIGEST_METHODS.includes(digest)) return `digest method ${digest ?? '(none)'} is not allowed`;
  const transformsElement = childrenNamed(reference, [XMLDSIG.ns], 'Transforms')[0];
  const transforms = transformsElement === undefined ? [] : childrenNamed(transformsElement, [XMLDSIG.ns], 'Transform').map((t) => attributeOf(t, 'Algorithm') ?? '');
  const forbidden = transforms.find((t) => !ALLOWED_TRANSFORMS.includes(t));
  if (forbidden !== undefined) return `transform ${forbidden} is not allowed`;
  // An enveloped signature that does not remove itself cannot verify; one without it signs something else.
  if (!transforms.includes(XMLDSIG.envelopedSignature)) return 'the reference must use the enveloped-signature transform';
  if (!ALLOWED_CANONICALIZATIONS.some((c) => transforms.includes(c))) return 'the reference must be canonicalised';
  return undefined;
}

/** Keeps only allow-listed algorithms in xml-crypto's tables, so nothing else can be dispatched to. */
function restrictAlgorithms(verifier: SignedXml): void {
  verifier.SignatureAlgorithms = pick(verifier.SignatureAlgorithms, ALLOWED_SIGNATURE_METHODS);
  verifier.HashAlgorithms = pick(verifier.HashAlgorithms, ALLOWED_DIGEST_METHODS);
  verifier.CanonicalizationAlgorithms = pick(verifier.CanonicalizationAlgorithms, ALLOWED_TRANSFORMS);
}

function pick<T>(table: Record<string, T>, allowed: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of allowed) {
    const entry = table[name];
    if (entry !== undefined) out[name] = entry;
  }
  return out;
}

/** ID-like attributes (any namespace, e.g. wsu:Id) with this value: xml-crypto resolves references by all of them. */
function countIds(document: Document, id: string): number {
  let count = 0;
  const root = document.documentElement;
  if (root === null) return 0;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined || node.nodeType !== node.ELEMENT_NODE) continue;
    const element = node as Element;
    for (let i = 0; i < element.attributes.length; i++) {
      const attribute = element.attributes.item(i);
      const name = attribute?.localName ?? attribute?.name;
      if (attribute !== null && (name === 'ID' || name === 'Id' || name === 'id') && attribute.value === id) count++;
    }
    for (const child of elementChildren(element)) stack.push(child);
  }
  return count;
}
