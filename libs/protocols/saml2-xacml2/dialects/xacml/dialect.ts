import type { XacmlDialect } from '../dialect';

/**
 * Plain XACML (saml2-xacml2.md §4.4 item 4): a query that carries no profile's attributes (ARC "subject"
 * conversion, pepcli-like use), answered with a decision only: such a client declared no obligations it can enforce.
 */
export const xacml: XacmlDialect = {
  name: 'xacml',
  precedence: 4,
  detect: () => true,
  accountExpected: false,
  resourceNamesHost: false,
  responseIssuer: false,
  resultResourceId: true,
  extract: {},
  render: (result) => {
    const message = result.statusMessage === undefined ? {} : { statusMessage: result.statusMessage };
    // XACML: Indeterminate always carries an error status.
    return result.decision === 'Indeterminate'
      ? { decision: 'Indeterminate', status: result.status === 'ok' ? 'processing-error' : result.status, ...message, obligations: [] }
      : { decision: result.decision, status: result.status, ...message, obligations: [] };
  },
};
