// Validation
export { validateChain, MAX_CERTIFICATES } from './chain/validate';
export type { CrlMode, NamespaceMode, ValidationOptions } from './chain/validate';
export { CredentialValidator } from './chain/validator';
export type { CredentialValidatorOptions } from './chain/validator';
export { subjectOfCredential } from './subject';
export type { X509Subject } from './subject';
export type { ChainEntry, ProxyInfo, RejectedAc, ValidatedCredential, VomsAc, VomsAttribute } from './chain/types';
export type { ProxyFormat, ProxyPolicy } from './chain/proxy-info';
export type { UnverifiedVomsAttributes, VomsOptions } from './voms/verify';
export { unverifiedVomsAttributes } from './voms/verify';
// PEM, the one module for every PEM text read or written
export { containsPrivateKey, isCertificateLabel, isPrivateKeyLabel, MAX_PEM_CHAIN_BYTES, parsePemChain, pemBlocks, pemEncode, pemTexts } from './pem';
export type { PemText } from './pem';
export { leafFirstOrder, MAX_PRESENTED_CERTIFICATES, NOT_ONE_SUBJECT, parseCertificateCached, presentedChain, presentedChainFromText } from './chain/presented';
export type { PresentedChain } from './chain/presented';
export { peerCertificateChain } from './chain/peer';
export type { PeerCertificateLike } from './chain/peer';
export { coarseCode, credFail } from './errors';
export type { CredErrorCode, CredFailure, CredResult } from './errors';
// Trust material
export { IgtfTrustStore, TrustStoreUnavailableError } from './trust/igtf-store';
export type { IgtfTrustStoreOptions, TrustStore } from './trust/igtf-store';
export { TrustSnapshot } from './trust/snapshot';
export type { TrustedCa, TrustSnapshotStats } from './trust/snapshot';
// Certificates and names
export { dnFromCertificate, parseCertificate } from './x509/certificate';
export type { Certificate, Extension } from './x509/certificate';
export { encodeName, parseNameDer, subjectHash, subjectHashOld } from './x509/name';
export type { X509Name } from './x509/name';
export { Oid } from './x509/oids';
// Low level, used by @gridauthz/dev-pki to build test material
export * as Der from './asn1/der';
// Human-facing report (gridauthz cred inspect)
export { inspectCredential, renderInspectReport } from './inspect';
export type { DnForms, InspectedCertificate, InspectReport } from './inspect';
// Bearer tokens: WLCG Common JWT profile and SciTokens (docs/tokens.md)
export { TokenValidator, TokenConfigError } from './token/validator';
export { tokenSubject } from './token/subject';
export { checkAskedTokenIdentity } from './token/asked-identity';
export type { AskedTokenIdentity, AskedTokenIdentityCheck } from './token/asked-identity';
export type { TokenValidatorOptions } from './token/validator';
export { DEFAULT_JWKS_POLICY, IssuerKeys, jwksEventLogger, maxAgeOf, parseJwks } from './token/jwks';
export type { IssuerConfig, IssuerKeyStatus, JwksCachePolicy, JwksEvent, JwksLoadReason, JwksLocation } from './token/jwks';
export { httpsJwksFetcher } from './token/fetch';
export type { HttpsJwksFetcherOptions, JwksFetcher, JwksFetchOptions, JwksHttpAnswer } from './token/fetch';
export { ANY_AUDIENCES, DEFAULT_TOKEN_LIMITS, TOKEN_ALGORITHMS } from './token/types';
export type { TokenAlgorithm, TokenErrorCode, TokenFailure, TokenIdentity, TokenLimits, TokenProfile, TokenResult } from './token/types';
