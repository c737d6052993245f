import { GLITE } from '../../../profiles/glite';
import type { XacmlDialect } from '../dialect';
import { renderNames } from '../dialect';
import { GLITE_EXTRACTION, GLITE_NAMES, gliteProfile } from '../grid-wn/dialect';

/** gLite XACML grid-ce profile (a CE asking before it submits; §5.3): grid-wn's attributes and obligations. */
export const gridCe: XacmlDialect = {
  name: 'grid-ce',
  precedence: 1,
  detect: (context) => gliteProfile(context) === GLITE.profile.gridCe,
  accountExpected: true,
  resourceNamesHost: true,
  responseIssuer: false,
  resultResourceId: true,
  extract: GLITE_EXTRACTION,
  render: (result) => renderNames(result, GLITE_NAMES),
};
