export * as Der from './asn1/der';
export { Oid } from './x509/oids';
export { encodeName, parseNameDer, subjectHash, subjectHashOld } from './x509/name';
export type { X509Name } from './x509/name';
export { parseCertificate } from './x509/certificate';
export type { Certificate, Extension } from './x509/certificate';
