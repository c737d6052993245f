/** Test fixtures shared by the specs: the policy of policy-language.md §7.1 and request helpers. */
import { Dn, Fqan } from '@gridauthz/domain';
import type { PolicySet } from '../compile';
import { parsePolicy } from '../policy';
import type { PolicyRequest } from '../request-view';

export const SPEC_7_1 = `# --- 1. emergency suspensions: must stay first -------------------------------
resource ".*" {
    action ".*" {
        rule deny { subject = "/DC=org/DC=example/CN=Mallory Banned" }
        rule deny { fqan = "/atlas/Role=hacker" }
        rule deny { subject-issuer = "CN=Compromised CA,O=Example,C=XX" }
    }
}

# --- 2. worker nodes: gLExec payload switching -------------------------------
resource "http://authz-interop.org/xacml/resource/resource-type/wn" {
    obligation "http://glite.org/xacml/obligation/local-environment-map" {}
    action "http://glite.org/xacml/action/execute" {
        description "payload identities that pilots may switch to"
        rule deny   { pfqan = "/atlas/Role=pilot" }
        rule permit { pfqan = "/atlas" }
        rule permit { pfqan = "/atlas/Role=production" }
        rule permit { pfqan = "/atlas/de" }
        rule permit { vo = dteam }
    }
}

# --- 3. a CREAM/ARC CE --------------------------------------------------------
resource "http://example[.]org/ce/ce01" {
    obligation "http://glite.org/xacml/obligation/local-environment-map" {}
    action ".*" {
        rule permit { pfqan = "/atlas/Role=pilot" }
        rule permit { pfqan = "/atlas/Role=production" }
        rule permit {
            vo = "atlas"
            subject-issuer = "CN=Example Grid CA,O=Example,C=XX"
        }
    }
}
`;

export const R_WN = 'http://authz-interop.org/xacml/resource/resource-type/wn';
export const A_EXECUTE = 'http://glite.org/xacml/action/execute';
export const LOCAL_ENV_MAP = 'http://glite.org/xacml/obligation/local-environment-map';
export const GRID_CA = 'CN=Example Grid CA,O=Example,C=XX';

export function compileOrThrow(text: string, name = 'test.spl'): PolicySet {
  const result = parsePolicy(text, name);
  if (!result.ok) throw new Error(result.error.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'));
  return result.value;
}

export interface RequestSpec {
  subject?: string;
  issuers?: string[];
  fqans?: string[];
  pfqan?: string;
  vo?: string[];
  resource?: string;
  action?: string;
  attributes?: Record<string, string[]>;
}

/** Builds a request the way the PEP does: primary FQAN = first FQAN unless given. */
export function request(spec: RequestSpec): PolicyRequest {
  const fqans = (spec.fqans ?? []).map((f) => Fqan.parse(f));
  const primary = spec.pfqan !== undefined ? Fqan.parse(spec.pfqan) : fqans[0];
  return {
    subject: {
      fqans,
      ...(spec.subject !== undefined && { dn: Dn.parse(spec.subject) }),
      ...(spec.issuers !== undefined && { issuerDns: spec.issuers.map((i) => Dn.parse(i)) }),
      ...(primary !== undefined && { primaryFqan: primary }),
      ...(spec.vo !== undefined && { vo: spec.vo }),
    },
    ...(spec.resource !== undefined && { resource: spec.resource }),
    ...(spec.action !== undefined && { action: spec.action }),
    ...(spec.attributes !== undefined && { attributes: spec.attributes }),
  };
}
