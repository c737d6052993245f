/**
 * Test support: requests shaped exactly as real clients send them, made from their captures (the fixtures next
 * to the codecs, docs/dialects.md) by replacing attribute values, and an in-process Decider (in-memory storage,
 * the real credential validator on the fixture PKI, the dev site's mapping) to run them through.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CredentialValidator, IgtfTrustStore, isCertificateLabel, parsePemChain, pemTexts } from '@gridauthz/credentials';
import { Decider, InMemoryDecisionStorage, type DecisionConfiguration } from '@gridauthz/decision';
import { Dn, silentLog, type AuthzRequest } from '@gridauthz/domain';
import { CallerModel, compileMappingConfig, DEFAULT_MAPPING_SETTINGS, type CompiledMappingConfig, type MappingConfig } from '@gridauthz/mapping';
import { parsePolicy } from '@gridauthz/policy';
import { decodePrimaRequest, decodeXacmlQuery } from '@gridauthz/protocols';
import { devMappingConfig } from '../../apps/server/site/dev-site';
import { subjectVerifier } from '../../apps/server/site/subject-verifier';
import { fixturePath, fixturePki, readFixture } from '../support/fixtures';

const REPO = resolve(__dirname, '..', '..');
const XACML_FIXTURES = join(REPO, 'libs', 'protocols', 'saml2-xacml2', 'fixtures');
const PRIMA_FIXTURES = join(REPO, 'libs', 'protocols', 'prima', 'fixtures');

/** A capture, as the client sent it. */
export const capture = {
  arcEmi: (): string => readFileSync(join(XACML_FIXTURES, 'arc-emi-alice-voms-query.xml'), 'utf8'),
  arcCream: (): string => readFileSync(join(XACML_FIXTURES, 'arc-cream-alice-voms-query.xml'), 'utf8'),
  osgAuthzInterop: (): string => readFileSync(join(XACML_FIXTURES, 'osg-java-xacml-request.xml'), 'utf8'),
  pepdGridWn: (): string => readFileSync(join(XACML_FIXTURES, 'spec-11b-query.xml'), 'utf8'),
  osgPrima: (): string => readFileSync(join(PRIMA_FIXTURES, 'osg-java-prima-request.xml'), 'utf8'),
};

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const attributeElement = (id: string): RegExp => new RegExp(`<([\\w-]+):Attribute\\b[^>]*AttributeId="${escapeRegExp(id)}"[^>]*>[\\s\\S]*?</\\1:Attribute>`, 'g');
const escapeText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Replaces the values of every Attribute with this id (keeping the element, its prefix, type and Issuer). */
export function withValues(xml: string, id: string, values: readonly string[]): string {
  const pattern = attributeElement(id);
  if (!pattern.test(xml)) throw new Error(`no attribute ${id} in the capture`);
  return xml.replace(attributeElement(id), (element, prefix: string) => {
    const open = /^<[^>]*>/.exec(element)?.[0] ?? '';
    return `${open}${values.map((v) => `<${prefix}:AttributeValue>${escapeText(v)}</${prefix}:AttributeValue>`).join('')}</${prefix}:Attribute>`;
  });
}

/** Removes every Attribute with this id. */
export function without(xml: string, id: string): string {
  return xml.replace(attributeElement(id), '');
}

/** Adds attributes (in the capture's own prefix) at the end of the first Subject/Resource/Action/Environment. */
export function withAdded(xml: string, element: 'Subject' | 'Resource' | 'Action' | 'Environment', attributes: readonly { id: string; values: readonly string[]; dataType?: string; issuer?: string }[]): string {
  const close = new RegExp(`</([\\w-]+):${element}>`).exec(xml);
  if (close === null) throw new Error(`no ${element} in the capture`);
  const prefix = close[1] ?? '';
  const added = attributes
    .map(
      (a) =>
        `<${prefix}:Attribute AttributeId="${a.id}" DataType="${a.dataType ?? 'http://www.w3.org/2001/XMLSchema#string'}"${a.issuer === undefined ? '' : ` Issuer="${a.issuer}"`}>` +
        a.values.map((v) => `<${prefix}:AttributeValue>${escapeText(v)}</${prefix}:AttributeValue>`).join('') +
        `</${prefix}:Attribute>`,
    )
    .join('');
  return xml.slice(0, close.index) + added + xml.slice(close.index);
}

/** The certificate blocks of a fixture proxy file (proxy first), as a PEPd key-info value. */
export function chainPem(proxy: string): string {
  const file = fixturePki().proxies[proxy]?.file;
  if (file === undefined) throw new Error(`no fixture proxy ${proxy}`);
  return pemTexts(readFixture(file))
    .filter((b) => isCertificateLabel(b.label))
    .map((b) => b.text)
    .join('\n');
}

export function chainOf(proxy: string): Buffer[] {
  const parsed = parsePemChain(chainPem(proxy));
  if (!parsed.ok) throw new Error(parsed.error.detail);
  return parsed.value;
}

/** The CE in the ARC captures (its saml:Issuer and resource-owner). */
export const ARC_CE = Dn.parse('CN=ce.example.org,OU=hosts,DC=example,DC=org');

export interface Site {
  readonly decider: Decider;
  readonly storage: InMemoryDecisionStorage;
  readonly mapping: CompiledMappingConfig;
  readonly now: Date;
  /** Decodes a SAML2-XACML2 body and decides it for this TLS caller. */
  xacml(body: string, caller: Dn): Promise<Awaited<ReturnType<Decider['decide']>>>;
  /** Decodes a PRIMA body and decides it as the server does for a CE vouching for its own resource. */
  prima(body: string, caller: Dn): Promise<Awaited<ReturnType<Decider['decide']>>>;
}

/**
 * An in-process site: the given policy text, the dev site's mapping (with `extraRules` first) and payload callers
 * (the pilot user and `ce`), `trusted` as the callers whose assertions are believed.
 */
export async function site(policyText: string, options: { ce?: Dn; trusted?: readonly Dn[]; extraRules?: MappingConfig['rules'] } = {}): Promise<Site> {
  const pki = fixturePki();
  const ce = options.ce ?? ARC_CE;
  const base = devMappingConfig({ hostDn: ce.toSlash(), pilotDn: pki.users['pilot']?.subject ?? '' });
  const compiled = compileMappingConfig({ ...base, rules: [...(options.extraRules ?? []), ...base.rules] }, DEFAULT_MAPPING_SETTINGS);
  if (!compiled.ok) throw new Error(compiled.error.detail);
  const policy = parsePolicy(policyText, 'test.spl');
  if (!policy.ok) throw new Error(JSON.stringify(policy.error.diagnostics));
  const store = await IgtfTrustStore.open({ caDir: fixturePath(pki.caDir), vomsDir: fixturePath(pki.vomsDir), log: silentLog });
  const trusted = options.trusted ?? [ce];
  const pilotDn = pki.users['pilot']?.subject;
  const callerModel = CallerModel.of([
    ...trusted.map((dn) => ({ dn, role: 'asserter' as const, source: 'config' as const })),
    ...(pilotDn ? [{ dn: Dn.parse(pilotDn), role: 'pilot' as const, source: 'config' as const }] : []),
  ]);
  const configuration: DecisionConfiguration = {
    policy: () => policy.value,
    mapping: () => compiled.value,
    bans: () => [],
    // The pilot may ask for payloads (with their chains); the CE and the other trusted callers may assert.
    callers: () => callerModel,
  };
  const storage = new InMemoryDecisionStorage([...compiled.value.pools.values()]);
  let n = 0;
  const decider = new Decider({
    verifier: subjectVerifier(new CredentialValidator(store)),
    configuration,
    storage,
    newId: () => `d-${(n += 1)}`,
    monotonicMs: () => 0,
    log: silentLog,
  });
  const now = new Date(Date.parse(pki.now) + 60_000);
  return {
    decider,
    storage,
    mapping: compiled.value,
    now,
    async xacml(body, caller) {
      const decoded = decodeXacmlQuery(body);
      if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.detail}`);
      const request: AuthzRequest = { ...decoded.value.request, caller: { dn: caller, viaProxy: false } };
      return decider.decide(request, now);
    },
    async prima(body, caller) {
      const decoded = decodePrimaRequest(body);
      if (!decoded.ok) throw new Error(`${decoded.error.code}: ${decoded.error.detail}`);
      if (decoded.value.kind !== 'query') throw new Error(`PRIMA request denied: ${decoded.value.reason}`);
      const request: AuthzRequest = { ...decoded.value.request, resource: 'prima', caller: { dn: caller, viaProxy: false } };
      return decider.decide(request, now);
    },
  };
}

export const policyFile = (relative: string): string => readFileSync(join(REPO, 'policies', relative), 'utf8');
