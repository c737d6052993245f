import { NOT_ONE_SUBJECT, presentedChainFromText } from '@gridauthz/credentials';

/**
 * key-info / cert-chain values as sent (PEM blocks, or bare base64 DER, §4.3) → their certificates, or a reason
 * string when a value is not certificates. Reading them is the credentials lib's (presentedChainFromText, which
 * remembers a repeated chain), and so are ordering and validation later (validateChain); its verdict that two
 * people's chains were sent is this request's ambiguity (NOT_ONE_CHAIN).
 */
export function decodeCertificates(values: readonly string[]): Buffer[] | string {
  const presented = presentedChainFromText(values);
  if (presented.ok) return presented.value;
  return presented.problem === 'not-one-subject' ? NOT_ONE_CHAIN : presented.detail;
}

/** The reason `decodeCertificates` gives for certificates of more than one person (an ambiguity, not a syntax error). */
export const NOT_ONE_CHAIN = NOT_ONE_SUBJECT;
