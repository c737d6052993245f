/** SAML 2.0 identifiers (saml2-xacml2.md §3, §7.3). */
export const SAML = {
  protocolNs: 'urn:oasis:names:tc:SAML:2.0:protocol',
  protocolPrefix: 'saml2p',
  assertionNs: 'urn:oasis:names:tc:SAML:2.0:assertion',
  assertionPrefix: 'saml2',
  version: '2.0',
  nameIdFormatEntity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
  /** Issuer Format of the SCAS/GUMS C client (§4.2). */
  nameIdFormatX509SubjectName: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName',
  /** SOAPAction Argus PEPd (OpenSAML) sends, unquoted as it sends it (§2.1, §8.3). */
  soapActionOpenSaml: 'http://www.oasis-open.org/committees/security',
  status: {
    success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
    requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
    responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
    versionMismatch: 'urn:oasis:names:tc:SAML:2.0:status:VersionMismatch',
  },
} as const;
