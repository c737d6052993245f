/** XML-DSig identifiers: the namespace and the algorithms gridauthz signs with or accepts (allow-list). */
export const XMLDSIG = {
  ns: 'http://www.w3.org/2000/09/xmldsig#',
  prefix: 'ds',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  c14n: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
} as const;

/** Accepted on signed requests; SHA-1 and HMAC (key confusion) are deliberately absent. */
export const ALLOWED_SIGNATURE_METHODS: readonly string[] = [XMLDSIG.rsaSha256, XMLDSIG.rsaSha512];
export const ALLOWED_DIGEST_METHODS: readonly string[] = [XMLDSIG.sha256, XMLDSIG.sha512];
export const ALLOWED_CANONICALIZATIONS: readonly string[] = [XMLDSIG.excC14n, XMLDSIG.c14n];
export const ALLOWED_TRANSFORMS: readonly string[] = [XMLDSIG.envelopedSignature, XMLDSIG.excC14n, XMLDSIG.c14n];
