import { GLITE } from '../../../profiles/glite';
import { valuesOf } from '../../context';
import { renderNames } from '../dialect';
import type { DialectExtraction, NamesVocabulary, XacmlDialect } from '../dialect';

/** The gLite attributes grid-wn and grid-ce share (saml2-xacml2.md §5.3). One object, so they are read once. */
export const GLITE_EXTRACTION: DialectExtraction = {
  eecIssuer: [GLITE.subject.x509SubjectIssuer],
  chainIssuers: [GLITE.subject.subjectIssuer],
  vo: [GLITE.subject.virtualOrganization],
  fqans: (subject) => [{ attribute: GLITE.subject.fqan, values: valuesOf(subject, GLITE.subject.fqan) }],
  primaryFqans: (subject) => [{ attribute: GLITE.subject.fqanPrimary, values: valuesOf(subject, GLITE.subject.fqanPrimary) }],
  profileId: [GLITE.profileIdAttribute],
  pilotJob: (context) => {
    const classifier = valuesOf(context.action, GLITE.action.pilotJobClassifier, GLITE.action.pilotJobClassifierMisspelt)[0];
    return classifier === undefined ? {} : { classifier };
  },
};

/** §6.2: local-environment-map (trigger) and local-environment-map/posix with names. */
export const GLITE_NAMES: NamesVocabulary = {
  obligation: { trigger: GLITE.obligation.localEnvironmentMap, posix: GLITE.obligation.posix },
  attribute: GLITE.attribute,
};

/** gLite profile-id present (§4.4 item 1): its value only picks grid-ce; anything else is answered as grid-wn. */
export function gliteProfile(context: Parameters<XacmlDialect['detect']>[0]): string | undefined {
  return context.environment.some((a) => a.id === GLITE.profileIdAttribute) ? (valuesOf(context.environment, GLITE.profileIdAttribute)[0] ?? '') : undefined;
}

/** gLite XACML grid-wn profile (glexec on a worker node, Argus PEPd; §5.3, §6.2). */
export const gridWn: XacmlDialect = {
  name: 'grid-wn',
  precedence: 1,
  detect: (context) => {
    const profile = gliteProfile(context);
    return profile !== undefined && profile !== GLITE.profile.gridCe;
  },
  accountExpected: true,
  resourceNamesHost: false,
  responseIssuer: false,
  resultResourceId: true,
  extract: GLITE_EXTRACTION,
  render: (result) => renderNames(result, GLITE_NAMES),
};
