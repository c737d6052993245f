import { authzInterop } from './authz-interop/dialect';
import type { XacmlDialect } from './dialect';
import { emi } from './emi/dialect';
import { gridCe } from './grid-ce/dialect';
import { gridWn } from './grid-wn/dialect';
import { xacml } from './xacml/dialect';

export type { XacmlDialect } from './dialect';

/**
 * The SAML2-XACML2 dialects (docs/dialects.md). Detection follows each one's §4.4 precedence; this order is the one
 * in which their attributes are read and merged (authz-interop, then gLite, then EMI, as real clients mix them).
 * Adding a dialect: a folder beside these and one entry here.
 */
export const XACML_DIALECTS: readonly XacmlDialect[] = [authzInterop, gridWn, gridCe, emi, xacml];

/** §4.4: the recognising dialect of lowest precedence; plain xacml recognises everything. */
export function detectDialect(context: Parameters<XacmlDialect['detect']>[0], dialects: readonly XacmlDialect[] = XACML_DIALECTS): XacmlDialect {
  let chosen: XacmlDialect | undefined;
  for (const dialect of dialects) if ((chosen === undefined || dialect.precedence < chosen.precedence) && dialect.detect(context)) chosen = dialect;
  return chosen ?? xacml;
}

/** The dialect module of a recorded name; unknown names get plain xacml's decision-only answer (fail closed). */
export function dialectNamed(name: string, dialects: readonly XacmlDialect[] = XACML_DIALECTS): XacmlDialect {
  return dialects.find((d) => d.name === name) ?? xacml;
}
