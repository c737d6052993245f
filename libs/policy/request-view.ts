/**
 * The request as the evaluator reads it, prepared once per evaluation: DN comparison keys computed up front,
 * resource and action trimmed (§12.6), and DN-typed generic attributes parsed lazily and memoised.
 */
import { Dn, type Fqan } from '@gridauthz/domain';
import { javaTrim } from './compile';

export interface PolicyRequest {
  readonly subject: {
    /** subject-id: the end-entity DN. */
    readonly dn?: Dn;
    /** subject-issuer: every CA DN of the chain. */
    readonly issuerDns?: readonly Dn[];
    /** fqan: all VOMS FQANs. */
    readonly fqans: readonly Fqan[];
    /** pfqan: the primary (first) FQAN. */
    readonly primaryFqan?: Fqan;
    /** vo: virtual-organization. */
    readonly vo?: readonly string[];
  };
  /** resource-id as the client sent it. */
  readonly resource?: string;
  /** action-id as the client sent it. */
  readonly action?: string;
  /**
   * Every other SPL short name (x509-authn-profile, x509-subject-issuer, emi-*, oidc-*, pilot-classifier, …) as a
   * bag of strings keyed by short name; DN-typed ones are parsed per request.
   */
  readonly attributes?: Readonly<Record<string, readonly string[]>>;
}

const EMPTY: readonly string[] = Object.freeze([]);

export class RequestView {
  readonly subjectKey: string | undefined;
  readonly issuerKeys: ReadonlySet<string>;
  readonly fqans: readonly Fqan[];
  readonly primaryFqan: Fqan | undefined;
  readonly vo: readonly string[];
  readonly resource: string | undefined;
  readonly action: string | undefined;
  private readonly dnCache = new Map<string, ReadonlySet<string> | undefined>();

  constructor(private readonly request: PolicyRequest) {
    this.subjectKey = request.subject.dn?.canonicalKey();
    this.issuerKeys = new Set((request.subject.issuerDns ?? []).map((d) => d.canonicalKey()));
    this.fqans = request.subject.fqans;
    this.primaryFqan = request.subject.primaryFqan;
    this.vo = request.subject.vo ?? EMPTY;
    this.resource = request.resource === undefined ? undefined : javaTrim(request.resource);
    this.action = request.action === undefined ? undefined : javaTrim(request.action);
  }

  bag(name: string): readonly string[] {
    return this.request.attributes?.[name] ?? EMPTY;
  }

  /** Canonical keys of a DN-typed bag; undefined if a value does not parse (the match is then Indeterminate). */
  dnKeys(name: string): ReadonlySet<string> | undefined {
    if (this.dnCache.has(name)) return this.dnCache.get(name);
    let keys: ReadonlySet<string> | undefined;
    try {
      keys = new Set(this.bag(name).map((v) => Dn.parse(v).canonicalKey()));
    } catch {
      keys = undefined;
    }
    this.dnCache.set(name, keys);
    return keys;
  }
}
