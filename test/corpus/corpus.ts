/**
 * The decision corpus (issue 18 item 6): cases in YAML (test/corpus/cases/*.yaml, format in test/corpus/README.md)
 * turned into the bytes a real client sends, so that both drivers (inproc.spec.ts: the Decider in-process;
 * server.spec.ts: the live server over mutual TLS) run exactly the same request. Expectations are written from the
 * docs (docs/callers.md, docs/dialects.md, docs/reference/saml2-xacml2.md §7.3, policies/site.spl), not from output.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { isCertificateLabel, parsePemChain, pemTexts } from '@gridauthz/credentials';
import { Dn } from '@gridauthz/domain';
import type { Ban, BanKind } from '@gridauthz/mapping';
import { decodePrimaResponse, decodeXacmlResponse, encodePrimaRequest, encodeXacmlQuery, type XacmlClientDialect } from '@gridauthz/protocols';
import { withAdded, withValues, without } from '../dialects/real-clients';
import { fixturePki, readFixture, userIdentity, proxyIdentity, type ClientIdentity } from '../support/fixtures';

export type CorpusDialect = XacmlClientDialect | 'prima';
export type CorpusDecision = 'Permit' | 'Deny' | 'NotApplicable' | 'Indeterminate';

export interface CorpusCase {
  readonly id: string;
  readonly file: string;
  /** The site policy: files under policies/, concatenated in name order as the server loads a policy directory. */
  readonly policy: readonly string[];
  /** Why the expectation holds, citing the docs. */
  readonly note?: string;
  readonly dialect: CorpusDialect;
  /** TLS caller: `host` (the fixture host certificate), `proxy:<name>` or `user:<name>` of the fixture PKI. */
  readonly caller: string;
  /** The subject: a fixture proxy chain sent in the query, and/or an asserted DN (`user:<name>` or a DN) and FQANs; `{}` for `raw` cases. */
  readonly subject: { readonly proxy?: string; readonly dn?: string; readonly issuer?: string; readonly fqans?: readonly string[]; readonly vos?: readonly string[] };
  readonly resource?: string;
  readonly action?: string;
  /** A real client's capture (path from the repository root) sent instead of an encoded request, after `edits`. */
  readonly raw?: string;
  /** PRIMA: the Resource (host DN) asked about; default the host's DN. */
  readonly resourceDn?: string;
  /** Raw-XML edits on the encoded query; values may hold `${chain:<proxy>}`, `${dn:<user>}`, `${ca}`. */
  readonly edits?: readonly XmlEdit[];
  /** Bans in force for this case (kind, value; placeholders as in edits). */
  readonly bans?: readonly { readonly kind: BanKind; readonly value: string }[];
  /** Where the code disagrees with the docs: the documented expectation stays, the test asserts it still fails. */
  readonly disagreement?: string;
  readonly only?: 'inproc';
  readonly reason?: string;
  readonly expect: {
    readonly decision: CorpusDecision;
    /** Username prefix of the pool (digits follow), or `=name` for an exact username. */
    readonly account?: string;
    readonly uid?: number;
    readonly gid?: number;
    /** Primary group name (the dev mapping's group of that gid), as gLite/EMI obligations name it. */
    readonly group?: string;
    /** Reasons the decision record must contain (in-process: the result's reasons; server: the record). */
    readonly reasons?: readonly string[];
    /** The account must be the one an earlier case (by id) got: one lease whatever the protocol. */
    readonly sameAccountAs?: string;
    /** Obligation ids the answer must carry (live driver: the XACML answer's obligations). */
    readonly obligations?: readonly string[];
  };
}

export type XmlEdit =
  | { readonly set: string; readonly values: readonly string[] }
  | { readonly remove: string }
  | { readonly add: string; readonly to: 'Subject' | 'Resource' | 'Action' | 'Environment'; readonly values: readonly string[] }
  | { readonly duplicate: 'Subject' }
  | { readonly replace: string; readonly with: string };

const CASES_DIR = join(__dirname, 'cases');
const DIALECTS: readonly CorpusDialect[] = ['authz-interop', 'grid-wn', 'grid-ce', 'emi', 'prima'];
const DECISIONS: readonly CorpusDecision[] = ['Permit', 'Deny', 'NotApplicable', 'Indeterminate'];

/** Every case of every file, checked for shape (a typo in a case must fail loudly, not skip it). */
export function loadCorpus(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(CASES_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(join(CASES_DIR, file), 'utf8')) as { site?: { policy?: string[] }; cases?: unknown[] };
    const policy = [...(doc.site?.policy ?? ['site.spl'])].sort((a, b) => basename(a).localeCompare(basename(b)));
    for (const raw of doc.cases ?? []) {
      const r = raw as Omit<CorpusCase, 'file' | 'policy' | 'subject'> & { subject?: CorpusCase['subject'] };
      const c: CorpusCase = { ...r, subject: r.subject ?? {}, file, policy };
      if (typeof c.id !== 'string' || seen.has(c.id)) throw new Error(`${file}: missing or duplicate id ${String(c.id)}`);
      seen.add(c.id);
      if (!DIALECTS.includes(c.dialect)) throw new Error(`${c.id}: unknown dialect ${String(c.dialect)}`);
      if (!DECISIONS.includes(c.expect?.decision)) throw new Error(`${c.id}: unknown decision`);
      if (c.only !== undefined && (c.only !== 'inproc' || typeof c.reason !== 'string')) throw new Error(`${c.id}: only: inproc needs a reason`);
      cases.push(c);
    }
  }
  return cases;
}

/** `user:<name>` / `host` / `ca` / a literal DN, as a Dn. */
export function dnOf(name: string): Dn {
  const pki = fixturePki();
  if (name === 'host') return Dn.parse(pki.host.subject);
  if (name === 'ca') return Dn.parse(pki.ca.subject);
  if (name === 'untrusted-ca') return Dn.parse(pki.untrustedCa.subject);
  if (name.startsWith('user:')) {
    const user = pki.users[name.slice(5)];
    if (!user) throw new Error(`no fixture user ${name}`);
    return Dn.parse(user.subject);
  }
  return Dn.parse(name);
}

export function proxyPem(name: string): string {
  const file = fixturePki().proxies[name]?.file;
  if (file === undefined) throw new Error(`no fixture proxy ${name}`);
  return pemTexts(readFixture(file))
    .filter((b) => isCertificateLabel(b.label))
    .map((b) => b.text)
    .join('\n');
}

/** Replaces `${chain:<proxy>}`, `${dn:<user>}` (RFC 2253), `${slash:<user>}`, `${ca}`, `${host}`. */
export function expand(value: string): string {
  return value.replace(/\$\{([a-z]+)(?::([^}]+))?\}/g, (_m, kind: string, arg: string | undefined) => {
    switch (kind) {
      case 'chain':
        return proxyPem(arg ?? '');
      case 'dn':
        return dnOf(`user:${arg ?? ''}`).toRfc2253();
      case 'slash':
        return dnOf(`user:${arg ?? ''}`).toSlash();
      case 'ca':
        return dnOf('ca').toRfc2253();
      case 'host':
        return dnOf('host').toRfc2253();
      case 'hostslash':
        return dnOf('host').toSlash();
      default:
        throw new Error(`unknown placeholder ${kind}`);
    }
  });
}

/** The TLS identity of the case's caller. */
export function callerIdentity(caller: string): ClientIdentity {
  const pki = fixturePki();
  if (caller === 'host') return { cert: readFixture(pki.host.certFile), key: readFixture(pki.host.keyFile) };
  if (caller.startsWith('proxy:')) return proxyIdentity(caller.slice(6));
  if (caller.startsWith('user:')) return userIdentity(caller.slice(5));
  throw new Error(`unknown caller ${caller}`);
}

/** The caller as the server's TLS layer reports it: the end-entity DN, whether a proxy was used, the chain. */
export function callerOf(caller: string): { dn: Dn; viaProxy: boolean; chain: Buffer[] } {
  const identity = callerIdentity(caller);
  const chain = parsePemChain(identity.cert);
  if (!chain.ok) throw new Error(chain.error.detail);
  const pki = fixturePki();
  const dn = caller === 'host' ? dnOf('host') : caller.startsWith('proxy:') ? Dn.parse(pki.proxies[caller.slice(6)]?.identity ?? '') : dnOf(caller);
  return { dn, viaProxy: caller.startsWith('proxy:'), chain: chain.value };
}

const CHAIN_IDS = ['urn:oasis:names:tc:xacml:1.0:subject:key-info', 'http://authz-interop.org/xacml/subject/cert-chain'];

export interface CorpusRequest {
  readonly protocol: 'xacml' | 'prima';
  readonly body: string;
  readonly soapAction: string;
  readonly queryId: string;
}

/** The bytes the dialect's real client sends for this case (encoders in @gridauthz/protocols, then the raw edits). */
export function requestOf(c: CorpusCase, now: Date): CorpusRequest {
  const pki = fixturePki();
  if (c.raw !== undefined) {
    const body = applyEdits(readFileSync(join(__dirname, '..', '..', c.raw), 'utf8'), c.edits);
    // The capture's own query id (the XACML query's ID, PRIMA's RequestID): the answer must echo it.
    const id = /XACMLAuthzDecisionQuery\b[^>]*\sID="([^"]+)"/.exec(body)?.[1] ?? /\sRequestID="([^"]+)"/.exec(body)?.[1];
    if (id === undefined) throw new Error(`${c.id}: no query id in ${c.raw}`);
    return { protocol: c.dialect === 'prima' ? 'prima' : 'xacml', body, soapAction: '""', queryId: id };
  }
  const proxy = c.subject.proxy === undefined ? undefined : pki.proxies[c.subject.proxy];
  if (c.subject.proxy !== undefined && !proxy) throw new Error(`${c.id}: no fixture proxy ${c.subject.proxy}`);
  const subjectDn = c.subject.dn !== undefined ? dnOf(c.subject.dn) : Dn.parse(proxy?.identity ?? '');
  const fqans = c.subject.fqans;
  if (c.dialect === 'prima') {
    const base = { subjectDn, resourceDn: dnOf(c.resourceDn ?? 'host'), now, idGenerator: (): string => randomUUID() };
    // FQANs travel as Evidence issued by the VOMS server (prima-saml1.md §4).
    const encoded = encodePrimaRequest(fqans && fqans.length > 0 ? { ...base, fqans, fqanIssuer: pki.voms['atlas']?.subject ?? '' } : base);
    return { protocol: 'prima', body: applyEdits(encoded.body, c.edits), soapAction: encoded.soapAction, queryId: encoded.expect.requestId };
  }
  const encoded = encodeXacmlQuery({
    dialect: c.dialect,
    // The encoder needs a chain; an asserted-only subject has it removed below.
    subjectChainPem: proxyPem(c.subject.proxy ?? 'alice'),
    subjectDn,
    ...(c.subject.issuer !== undefined ? { subjectIssuerDn: dnOf(c.subject.issuer) } : {}),
    ...(c.resource !== undefined ? { resource: c.resource } : {}),
    ...(c.action !== undefined ? { action: c.action } : {}),
    hostName: 'ce.example.org',
    hostDn: pki.host.subject,
    ...(fqans && fqans.length > 0 ? { voms: { vos: c.subject.vos ?? [...new Set(fqans.map((f) => f.split('/')[1] ?? ''))], fqans } } : {}),
    now,
    idGenerator: randomUUID,
  });
  let body = encoded.body;
  if (c.subject.proxy === undefined) for (const id of CHAIN_IDS) body = without(body, id);
  return { protocol: 'xacml', body: applyEdits(body, c.edits), soapAction: encoded.soapAction, queryId: encoded.expect.queryId };
}

function applyEdits(xml: string, edits: readonly XmlEdit[] = []): string {
  let out = xml;
  for (const edit of edits) {
    if ('set' in edit) out = withValues(out, edit.set, edit.values.map(expand));
    else if ('remove' in edit) out = without(out, edit.remove);
    else if ('replace' in edit) out = out.split(edit.replace).join(expand(edit.with));
    else if ('add' in edit) out = withAdded(out, edit.to, [{ id: edit.add, values: edit.values.map(expand) }]);
    else out = out.replace(/(<([\w-]+):Subject\b[\s\S]*?<\/\2:Subject>)/, '$1$1');
  }
  return out;
}

/** The case's bans as the ban store would hold them. */
export function bansOf(c: CorpusCase, now: Date): Ban[] {
  return (c.bans ?? []).map((b, i) => ({ id: `corpus-${i + 1}`, kind: b.kind, value: expandBan(b.value), reason: `corpus ${c.id}`, author: 'corpus', createdAt: new Date(now.getTime() - 60_000) }));
}

export const expandBan = (value: string): string => value.replace(/\$\{slash:([^}]+)\}/g, (_m, user: string) => dnOf(`user:${user}`).toSlash()).replace('${ca}', dnOf('ca').toSlash());

/** Does a username meet the case's account expectation (`prefix` + digits, or `=exact`)? */
export function accountMatches(expected: string, username: string | undefined): boolean {
  if (username === undefined) return false;
  return expected.startsWith('=') ? username === expected.slice(1) : new RegExp(`^${expected}\\d{3}$`).test(username);
}

/** What the PEP reads from the answer: the only thing both drivers can compare alike. */
export interface ClientView {
  readonly decision: string;
  readonly username?: string;
  readonly uid?: number;
  readonly gid?: number;
  readonly groupName?: string;
  readonly obligations: readonly string[];
}

/** Reads an answer as the dialect's client does (decodeXacmlResponse / decodePrimaResponse, strict on the query id). */
export function readAnswer(request: CorpusRequest, body: string): ClientView {
  if (request.protocol === 'xacml') {
    const answer = decodeXacmlResponse(body, { queryId: request.queryId });
    if (!answer.ok) throw new Error(`unreadable answer: ${answer.error.code}: ${answer.error.detail}\n${body}`);
    const a = answer.value;
    return {
      decision: a.decision,
      ...(a.username !== undefined ? { username: a.username } : {}),
      ...(a.uid !== undefined ? { uid: a.uid } : {}),
      ...(a.gid !== undefined ? { gid: a.gid } : {}),
      ...(a.groupName !== undefined ? { groupName: a.groupName } : {}),
      obligations: a.obligations.map((o) => o.id),
    };
  }
  const answer = decodePrimaResponse(body);
  if (!answer.ok) throw new Error(`unreadable answer: ${answer.error.code}: ${answer.error.detail}\n${body}`);
  return { decision: answer.value.decision ?? answer.value.status, ...(answer.value.username !== undefined ? { username: answer.value.username } : {}), obligations: [] };
}

/**
 * The checks both drivers make on what the client reads. A PRIMA answer carries no uid/gid (prima-saml1.md §7.1),
 * so gid/uid are checked there only by the in-process driver, on the Decider's result.
 */
export function expectView(c: CorpusCase, view: ClientView, accounts: Map<string, string>, check: (ok: boolean, what: string) => void): void {
  check(view.decision === c.expect.decision, `decision ${view.decision}, expected ${c.expect.decision}`);
  if (c.expect.account !== undefined) check(accountMatches(c.expect.account, view.username), `account ${String(view.username)}, expected ${c.expect.account}`);
  else check(view.username === undefined, `no account expected, got ${String(view.username)}`);
  if (view.username !== undefined) accounts.set(c.id, view.username);
  if (c.expect.sameAccountAs !== undefined) check(view.username !== undefined && view.username === accounts.get(c.expect.sameAccountAs), `account ${String(view.username)}, expected that of ${c.expect.sameAccountAs}: ${String(accounts.get(c.expect.sameAccountAs))}`);
  // Numbers travel only in authz-interop's uidgid obligation; gLite/EMI name the groups (saml2-xacml2.md §7).
  if (c.dialect === 'authz-interop') {
    if (c.expect.gid !== undefined) check(view.gid === c.expect.gid, `gid ${String(view.gid)}, expected ${c.expect.gid}`);
    if (c.expect.uid !== undefined) check(view.uid === c.expect.uid, `uid ${String(view.uid)}, expected ${c.expect.uid}`);
  }
  if (c.expect.group !== undefined && c.dialect !== 'prima' && c.dialect !== 'authz-interop') check(view.groupName === c.expect.group, `group ${String(view.groupName)}, expected ${c.expect.group}`);
  for (const id of c.expect.obligations ?? []) check(view.obligations.includes(id), `obligation ${id} missing: ${view.obligations.join(', ')}`);
}

/** The policy text a case's site runs, as the server builds it from a policy directory (bootstrapPolicy). */
export function policyText(files: readonly string[]): string {
  return files.map((f) => `# --- ${basename(f)}\n${readFileSync(join(__dirname, '..', '..', 'policies', f), 'utf8')}`).join('\n');
}

/** Cases grouped by site policy, in first-seen order (one site, one server per group). */
export function bySite(cases: readonly CorpusCase[]): [string, CorpusCase[]][] {
  const groups = new Map<string, CorpusCase[]>();
  for (const c of cases) {
    const key = c.policy.join(' + ');
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.entries()];
}
