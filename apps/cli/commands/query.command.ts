import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Option } from 'commander';
import type { Command } from 'commander';
import { dnFromCertificate, isCertificateLabel, isPrivateKeyLabel, Oid, parseCertificate, parsePemChain, pemEncode, pemTexts, unverifiedVomsAttributes } from '@gridauthz/credentials';
import type { Certificate } from '@gridauthz/credentials';
import { Dn, ErrorCodes, Fqan } from '@gridauthz/domain';
import {
  AUTHZEN_EVALUATION_PATH,
  decodePepdResponse,
  decodePrimaResponse,
  decodeXacmlResponse,
  encodePepdRequest,
  encodePrimaRequest,
  encodeXacmlQuery,
  PEPD_PROFILES,
  PepIds,
  XACML_CLIENT_DIALECTS,
} from '@gridauthz/protocols';
import type { PepAttribute, PepResult } from '@gridauthz/protocols';
import type { XacmlAnswer, XacmlClientDialect } from '@gridauthz/protocols';
import { CliError } from '../cli-error';

/** Exit codes as pepcli-style callers script against them. */
const EXIT = { permit: 0, deny: 1, other: 2 } as const;
/** The Axis client's timeout (saml2-xacml2.md §2.1): long enough for a loaded server, short enough for a shell. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** Far above any real answer (a ReturnContext echo with a proxy chain is a few KiB); bounds a hostile server. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

interface QueryFlags {
  url: string;
  cert: string;
  key?: string;
  capath: string;
  proxy?: string;
  token?: string;
  carrier?: 'authzen' | 'saml';
  authzen?: boolean;
  protocol: 'xacml' | 'prima' | 'authzen' | 'pepd';
  subject?: string;
  fqan?: string[];
  profile?: string;
  dialect?: XacmlClientDialect;
  resource?: string;
  action?: string;
  host?: string;
  xml?: boolean;
  json?: boolean;
  timeout: string;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('ask an authorization server (ours, SCAS, GUMS, an Argus PDP) about a payload proxy, as a PEP would; exit 0 Permit, 1 Deny/NotApplicable, 2 anything else')
    .requiredOption('--url <url>', 'server endpoint, https://host:port[/path]')
    .requiredOption('--cert <file>', 'client certificate (chain) PEM; may be a proxy file holding certificate, key and chain')
    .option('--key <file>', 'client private key PEM (default: the --cert file)')
    .requiredOption('--capath <dir>', 'trusted CA directory (IGTF layout: *.0 / *.pem) the server certificate must chain to')
    .option('--proxy <file>', "the payload user's proxy (or certificate) chain the question is about (PEPd: sent as key-info)")
    .option('--token <file>', 'a bearer token (WLCG / SciTokens compact JWS) the question is about, instead of --proxy (docs/authzen.md)')
    .addOption(new Option('--carrier <carrier>', 'how --token travels: the AuthZEN endpoint, or a SAML2-XACML2 subject attribute').choices(['authzen', 'saml']))
    .option('--authzen', 'ask the AuthZEN endpoint (POST /access/v1/evaluation) about --proxy; same as --protocol authzen')
    .addOption(new Option('--protocol <protocol>', 'wire protocol: SAML2-XACML2, PRIMA, AuthZEN, or the Argus PEPd Hessian protocol (a pepcli)').choices(['xacml', 'prima', 'authzen', 'pepd']).default('xacml'))
    .option('--subject <dn>', 'PEPd: subject-id (RFC 2253 DN) asserted instead of --proxy; the server believes it only from a trusted asserter')
    .option('--fqan <fqan>', 'PEPd: an FQAN asserted with --subject (repeat; the first is the primary)', (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--profile <profile>', 'PEPd: profile-id sent in the environment: grid-wn (default, as pepcli), grid-ce, or a URI')
    .addOption(new Option('--dialect <dialect>', 'SAML2-XACML2 request dialect (default authz-interop)').choices([...XACML_CLIENT_DIALECTS]))
    .option('--resource <id>', 'resource-id (XACML; dialect default otherwise), resource DN (PRIMA; default the server certificate subject), or for AuthZEN ce, wn (default; the host is --host) or a resource-id URI')
    .option('--action <id>', 'action-id (XACML; dialect default otherwise)')
    .option('--host <name>', 'PEP host name: authz-interop dns-host-name, and the A-REX endpoint host of the grid-ce and emi resource default (default this host)')
    .option('--xml', 'also print the raw request and response')
    .option('--json', 'print the answer as one JSON object')
    .option('--timeout <ms>', 'overall time limit in milliseconds', String(DEFAULT_TIMEOUT_MS))
    .action(async (flags: QueryFlags) => {
      process.exitCode = await runQuery(flags);
    });
}

/** The outcome as printed, protocol-neutral. */
interface Outcome {
  decision: string;
  status: { code: string; message?: string };
  username?: string;
  uid?: number;
  gid?: number;
  secondaryGids: readonly number[];
  groupName?: string;
  groupNames: readonly string[];
  obligations: XacmlAnswer['obligations'];
}

async function runQuery(flags: QueryFlags): Promise<number> {
  const url = parseUrl(flags.url);
  const timeoutMs = Number(flags.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new CliError(`--timeout must be a positive number of milliseconds, not "${flags.timeout}"`, EXIT.other);
  if (flags.protocol === 'prima' && (flags.dialect !== undefined || flags.action !== undefined)) {
    throw new CliError('--dialect and --action apply to --protocol xacml and pepd only', EXIT.other);
  }
  if (flags.protocol !== 'pepd' && (flags.subject !== undefined || flags.fqan !== undefined || flags.profile !== undefined)) {
    throw new CliError('--subject, --fqan and --profile apply to --protocol pepd only', EXIT.other);
  }
  if (flags.protocol === 'pepd') {
    if (flags.dialect !== undefined) throw new CliError('--dialect does not apply to --protocol pepd (see --profile)', EXIT.other);
    if (flags.token !== undefined || flags.carrier !== undefined || flags.authzen) throw new CliError('--token, --carrier and --authzen do not apply to --protocol pepd', EXIT.other);
    if ((flags.proxy === undefined) === (flags.subject === undefined)) throw new CliError('--protocol pepd needs either --proxy (key-info) or --subject (subject-id)', EXIT.other);
    if (flags.fqan !== undefined && flags.subject === undefined) throw new CliError('--fqan goes with --subject (a proxy carries its own FQANs)', EXIT.other);
    return runPepdQuery(flags, url, timeoutMs, clientIdentity(flags.cert, flags.key ?? flags.cert), trustAnchors(flags.capath));
  }
  if ((flags.proxy === undefined) === (flags.token === undefined)) throw new CliError('give exactly one of --proxy and --token', EXIT.other);
  if (flags.carrier !== undefined && flags.token === undefined) throw new CliError('--carrier applies to --token only', EXIT.other);
  if (flags.authzen) flags.protocol = 'authzen';
  if (flags.token !== undefined) {
    if (flags.protocol === 'prima') throw new CliError('PRIMA cannot carry a token: use --carrier authzen or saml', EXIT.other);
    flags.protocol = flags.carrier === 'saml' ? 'xacml' : flags.protocol === 'xacml' && flags.carrier === undefined && !flags.authzen ? 'authzen' : flags.protocol;
  }
  if (flags.protocol === 'authzen' && flags.dialect !== undefined) throw new CliError('--dialect applies to --protocol xacml only', EXIT.other);
  const identity = clientIdentity(flags.cert, flags.key ?? flags.cert);
  const ca = trustAnchors(flags.capath);
  const token = flags.token === undefined ? undefined : bearerToken(flags.token);
  const payload = flags.proxy === undefined ? undefined : payloadChain(flags.proxy);
  const dialect = flags.dialect ?? 'authz-interop';
  const idGenerator = (): string => randomBytes(16).toString('hex');
  const now = new Date();

  let expectation: ((body: string, status: number) => Outcome | string) | undefined;
  const build = (serverCert: Buffer): Built => {
    if (flags.protocol === 'authzen') {
      const sent = authzenRequest(flags, payload, token);
      expectation = (body, status) => authzenOutcome(body, status);
      return sent;
    }
    if (payload === undefined) {
      // A token through SAML2-XACML2: the dialect's usual resource and action, the token as the subject.
      const sent = encodeXacmlQuery({
        dialect,
        ...(token === undefined ? {} : { bearerToken: token }),
        ...(flags.resource === undefined ? {} : { resource: flags.resource }),
        ...(flags.action === undefined ? {} : { action: flags.action }),
        hostName: flags.host ?? hostname(),
        ...(identity.hostDn === undefined ? {} : { hostDn: identity.hostDn }),
        now,
        idGenerator,
      });
      expectation = (body) => xacmlOutcome(body, sent.expect);
      return sent;
    }
    if (flags.protocol === 'prima') {
      const resourceDn = flags.resource ?? dnFromCertificate(serverCert);
      if (resourceDn === undefined) throw new CliError('the server certificate has no usable subject DN: give --resource', EXIT.other);
      // As the GUMS PRIMA client: the user's FQANs as Evidence, the first (primary) first, issued by the VOMS server.
      const evidence = payload.fqans.length > 0 && payload.vomsIssuer !== undefined ? { fqans: payload.fqans, fqanIssuer: payload.vomsIssuer } : {};
      const sent = encodePrimaRequest({ subjectDn: payload.eecDn, resourceDn, now, idGenerator, ...evidence });
      expectation = (body) => {
        const answer = decodePrimaResponse(body, sent.expect);
        if (!answer.ok) return describeFailure(answer.error.code, answer.error.detail);
        const a = answer.value;
        return {
          decision: a.decision ?? 'Indeterminate',
          status: { code: a.status, ...(a.statusMessage === undefined ? {} : { message: a.statusMessage }) },
          ...(a.username === undefined ? {} : { username: a.username }),
          ...(a.groupName === undefined ? {} : { groupName: a.groupName }),
          secondaryGids: [],
          groupNames: [],
          obligations: [],
        };
      };
      return sent;
    }
    const sent = encodeXacmlQuery({
      dialect,
      subjectChainPem: payload.pem,
      subjectDn: payload.eecDn,
      ...(payload.eecIssuerDn === undefined ? {} : { subjectIssuerDn: payload.eecIssuerDn }),
      ...(flags.resource === undefined ? {} : { resource: flags.resource }),
      ...(flags.action === undefined ? {} : { action: flags.action }),
      ...(payload.fqans.length > 0 ? { voms: { vos: payload.vos, fqans: payload.fqans } } : {}),
      // What the C client puts in the resource attributes and Issuer: this host's name and certificate DN (§5.2, §4.2);
      // ARC (grid-ce, emi) names its own endpoint on this host as the resource.
      hostName: flags.host ?? hostname(),
      ...(identity.hostDn === undefined ? {} : { hostDn: identity.hostDn }),
      ...(dialect === 'authz-interop' && identity.dn !== undefined ? { issuer: identity.dn.toSlash() } : {}),
      now,
      idGenerator,
    });
    expectation = (body) => xacmlOutcome(body, sent.expect);
    return sent;
  };

  const exchange = await post(url, { cert: identity.certPem, key: identity.keyPem, ca }, timeoutMs, flags.protocol === 'authzen' && (url.pathname === '/' || url.pathname === '') ? AUTHZEN_EVALUATION_PATH : undefined, build);
  return report(flags, url, exchange, expectation, token !== undefined ? { subject: 'token' } : {});
}

/** Prints the outcome (or the failure) and returns the exit code; shared by every protocol. */
function report(
  flags: QueryFlags,
  url: URL,
  exchange: Exchange,
  expectation: ((body: string, status: number) => Outcome | string) | undefined,
  extraContext: Record<string, string>,
): number {
  const dialect = flags.dialect ?? 'authz-interop';
  const out: string[] = [];
  if (flags.xml && !flags.json) out.push('--- request ---', exchange.request, `--- response (HTTP ${exchange.status}) ---`, exchange.response, '---');
  // Decisions come with 200, SOAP faults with 500 (§2.1); any other status is the HTTP layer talking, not the PDP.
  // AuthZEN refusals are 4xx with a message (authzen.md §10.1.2), which the AuthZEN reading reports itself.
  const outcome =
    exchange.status !== 200 && exchange.status !== 500 && flags.protocol !== 'authzen'
      ? `server answered HTTP ${exchange.status}${exchange.statusText === '' ? '' : ` ${exchange.statusText}`}`
      : expectation === undefined
        ? 'no request was sent'
        : expectation(exchange.response, exchange.status);
  const context = {
    protocol: flags.protocol,
    ...(flags.protocol === 'xacml' ? { dialect } : {}),
    ...(flags.protocol === 'pepd' ? { profile: pepdProfile(flags.profile) } : {}),
    ...extraContext,
    url: url.href,
    ...(flags.xml ? { request: exchange.request, response: exchange.response } : {}),
  };
  if (typeof outcome === 'string') {
    if (flags.json) out.push(JSON.stringify(Object.assign({}, context, { decision: null, error: outcome })));
    if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
    throw new CliError(outcome, EXIT.other);
  }
  out.push(flags.json ? JSON.stringify(Object.assign({}, context, outcome)) : render(outcome));
  process.stdout.write(`${out.join('\n')}\n`);
  return outcome.decision === 'Permit' ? EXIT.permit : outcome.decision === 'Deny' || outcome.decision === 'NotApplicable' ? EXIT.deny : EXIT.other;
}

/** What is sent: the body, with its SOAPAction for the SOAP protocols or its own content type (AuthZEN's JSON). */
interface Built {
  readonly body: string;
  readonly soapAction?: string;
  readonly contentType?: string;
}

function xacmlOutcome(body: string, expect: Parameters<typeof decodeXacmlResponse>[1]): Outcome | string {
  const answer = decodeXacmlResponse(body, expect);
  if (!answer.ok) return describeFailure(answer.error.code, answer.error.detail);
  const { decision, status, username, uid, gid, secondaryGids, groupName, groupNames, obligations } = answer.value;
  return {
    decision,
    status,
    ...(username === undefined ? {} : { username }),
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
    secondaryGids,
    ...(groupName === undefined ? {} : { groupName }),
    groupNames,
    obligations,
  };
}

/** A compact JWS from a file (as htgettoken and oidc-token write it: the token and a newline). */
function bearerToken(file: string): string {
  const text = readText(file, '--token file').trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text)) throw new CliError(`--token file ${file} does not hold one compact JWS (three base64url parts)`, EXIT.other);
  return text;
}

/** An AuthZEN Access Evaluation request (docs/authzen.md §3): the subject, the resource as ce / wn / a resource-id, the action. */
function authzenRequest(flags: QueryFlags, payload: ReturnType<typeof payloadChain> | undefined, token: string | undefined): Built {
  const subject =
    token !== undefined
      ? { type: 'wlcg-token', id: 'bearer', properties: { token } }
      : { type: 'x509', id: payload?.eecDn.toSlash() ?? '', properties: { pem_chain: payload?.pem ?? '' } };
  const resourceText = flags.resource ?? 'wn';
  const resource = resourceText === 'ce' || resourceText === 'wn' ? { type: resourceText, id: flags.host ?? hostname() } : { type: 'resource-id', id: resourceText };
  return { body: JSON.stringify({ subject, action: { name: flags.action ?? 'execute' }, resource }), contentType: 'application/json' };
}

/** An AuthZEN answer (authzen.md §5.5): decision true is Permit; the context says the account, or what else it was. */
function authzenOutcome(body: string, status: number): Outcome | string {
  if (status !== 200) return `the AuthZEN endpoint refused the request (HTTP ${status}): ${body.trim()}`;
  let answer: { decision?: unknown; context?: Record<string, unknown> };
  try {
    answer = JSON.parse(body) as typeof answer;
  } catch {
    return 'unusable answer: not JSON';
  }
  if (typeof answer.decision !== 'boolean') return 'unusable answer: no boolean decision';
  const context = answer.context ?? {};
  const account = (context.account ?? {}) as { username?: unknown; uid?: unknown; gid?: unknown; group?: unknown; secondary_gids?: unknown; secondary_groups?: unknown };
  const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.filter((n): n is number => typeof n === 'number') : []);
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : []);
  return {
    decision: answer.decision ? 'Permit' : typeof context.outcome === 'string' ? context.outcome : 'Deny',
    status: { code: typeof context.status === 'string' ? context.status : 'ok', ...(typeof context.message === 'string' ? { message: context.message } : {}) },
    ...(typeof account.username === 'string' ? { username: account.username } : {}),
    ...(typeof account.uid === 'number' ? { uid: account.uid } : {}),
    ...(typeof account.gid === 'number' ? { gid: account.gid } : {}),
    secondaryGids: numbers(account.secondary_gids),
    ...(typeof account.group === 'string' ? { groupName: account.group } : {}),
    groupNames: strings(account.secondary_groups),
    obligations: [],
  };
}

/** pepcli's defaults (docs/pepd.md §6): grid-wn, the worker-node resource type (grid-ce: the CE one), execute. */
function pepdProfile(profile: string | undefined): string {
  if (profile === undefined || profile === 'grid-wn') return PEPD_PROFILES.gridWn;
  if (profile === 'grid-ce') return PEPD_PROFILES.gridCe;
  return profile;
}

const PEPD_DEFAULT_RESOURCE = {
  [PEPD_PROFILES.gridWn]: 'http://authz-interop.org/xacml/resource/resource-type/wn',
  [PEPD_PROFILES.gridCe]: 'http://authz-interop.org/xacml/resource/resource-type/ce',
} as Record<string, string>;
const PEPD_DEFAULT_ACTION = 'http://glite.org/xacml/action/execute';

/**
 * `--protocol pepd`: the request pepcli (argus-pep-api-c) sends to an Argus PEP daemon, POST /authz, and its answer
 * read as pepcli prints it: the account obligation's user-id, group-id/primary and group-id values (names, which
 * the worker node resolves; a PEPd answer carries no numbers).
 */
async function runPepdQuery(flags: QueryFlags, url: URL, timeoutMs: number, identity: { certPem: string; keyPem: string }, ca: string[]): Promise<number> {
  const profile = pepdProfile(flags.profile);
  const resource = flags.resource ?? PEPD_DEFAULT_RESOURCE[profile];
  if (resource === undefined) throw new CliError(`--resource is required with the profile ${profile}`, EXIT.other);
  const subject: PepAttribute[] = [];
  if (flags.proxy !== undefined) {
    subject.push({ id: PepIds.keyInfo, dataType: PepIds.dtString, values: [payloadChain(flags.proxy).pem] });
  } else {
    let dn: Dn;
    try {
      dn = Dn.fromRfc2253(flags.subject as string);
    } catch (err) {
      throw new CliError(`--subject "${flags.subject}" is not an RFC 2253 DN: ${(err as Error).message}`, EXIT.other);
    }
    subject.push({ id: PepIds.subjectId, dataType: PepIds.dtX500Name, values: [dn.toRfc2253()] });
    const fqans = flags.fqan ?? [];
    for (const f of fqans) if (Fqan.tryParse(f) === undefined) throw new CliError(`--fqan "${f}" is not an FQAN`, EXIT.other);
    if (fqans.length > 0) {
      subject.push({ id: PepIds.primaryFqan, dataType: PepIds.dtFqan, values: [fqans[0] as string] });
      subject.push({ id: PepIds.fqan, dataType: PepIds.dtFqan, values: fqans });
    }
  }
  const body = encodePepdRequest({
    subjects: [{ attributes: subject }],
    resources: [{ attributes: [{ id: PepIds.resourceId, values: [resource] }] }],
    action: { attributes: [{ id: PepIds.actionId, values: [flags.action ?? PEPD_DEFAULT_ACTION] }] },
    environment: { attributes: [{ id: PepIds.profileId, dataType: PepIds.dtAnyUri, values: [profile] }] },
  });
  // As the C client: libcurl's default form content type over a body that is not a form (docs/pepd.md §1).
  const target = url.pathname === '/' ? new URL('/authz', url) : url;
  const exchange = await post(target, { cert: identity.certPem, key: identity.keyPem, ca }, timeoutMs, undefined, () => ({ body, contentType: 'application/x-www-form-urlencoded' }));
  return report(flags, target, exchange, (text) => {
    const answer = decodePepdResponse(text);
    if (!answer.ok) return `unusable answer (${answer.error.code}): ${answer.error.detail}`;
    if (answer.value.length !== 1) return `unusable answer: ${answer.value.length} results for one request`;
    return pepdOutcome(answer.value[0] as PepResult);
  }, {});
}

function pepdOutcome(r: PepResult): Outcome {
  const code = r.status?.statusCode?.code ?? '';
  const posix = r.obligations.find((o) => o.id === PepIds.obligationPosix && o.fulfillOn === r.decision);
  const values = (id: string): string[] => (posix?.attributeAssignments ?? []).filter((a) => a.attributeId === id && a.value !== undefined).map((a) => a.value as string);
  const username = values(PepIds.userId)[0];
  const groupName = values(PepIds.groupIdPrimary)[0];
  return {
    decision: r.decision,
    status: { code: code.replace(/^urn:oasis:names:tc:xacml:1\.0:status:/, ''), ...(r.status?.message !== undefined ? { message: r.status.message } : {}) },
    ...(username !== undefined ? { username } : {}),
    ...(groupName !== undefined ? { groupName } : {}),
    secondaryGids: [],
    groupNames: values(PepIds.groupId),
    obligations: r.obligations.map((o) => ({ id: o.id, fulfillOn: o.fulfillOn, assignments: o.attributeAssignments.map((a) => ({ id: a.attributeId, dataType: a.dataType ?? '', value: a.value ?? '' })) })),
  };
}

function describeFailure(code: string, detail: string): string {
  if (code === ErrorCodes.PROTO_SOAP_FAULT) return `SOAP fault from the server: ${detail}`;
  if (code === ErrorCodes.PROTO_RESPONSE_MISMATCH) return `the answer does not belong to this query: ${detail}`;
  return `unusable answer (${code}): ${detail}`;
}

function render(o: Outcome): string {
  const lines = [`Decision: ${o.decision}`, `Status: ${o.status.code}`];
  if (o.status.message !== undefined) lines.push(`Status message: ${o.status.message}`);
  if (o.username !== undefined) lines.push(`Username: ${o.username}`);
  if (o.uid !== undefined) lines.push(`UID: ${o.uid}`);
  if (o.gid !== undefined) lines.push(`GID: ${o.gid}`);
  if (o.secondaryGids.length > 0) lines.push(`Secondary GIDs: ${o.secondaryGids.join(' ')}`);
  if (o.groupName !== undefined) lines.push(`Group: ${o.groupName}`);
  if (o.groupNames.length > 0) lines.push(`Groups: ${o.groupNames.join(' ')}`);
  for (const obligation of o.obligations) {
    lines.push(`Obligation: ${obligation.id} (on ${obligation.fulfillOn || 'unspecified'})`);
    for (const a of obligation.assignments) lines.push(`  ${a.id} = ${a.value}`);
  }
  return lines.join('\n');
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url "${text}" is not a URL`, EXIT.other);
  }
  // Mutual TLS is the only trust these services have (§2.3): plain HTTP would send the question unauthenticated.
  if (url.protocol !== 'https:') throw new CliError(`--url must be https://, not ${url.protocol}`, EXIT.other);
  return url;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.other);
  }
}

/**
 * The TLS client identity. A voms-proxy-init file holds proxy certificate, key and issuer chain in one file, so
 * certificates and key are picked out by label whichever file they are in.
 */
function clientIdentity(certFile: string, keyFile: string): { certPem: string; keyPem: string; dn?: Dn; hostDn?: Dn } {
  const certText = readText(certFile, '--cert file');
  const keyText = keyFile === certFile ? certText : readText(keyFile, '--key file');
  const certs = pemTexts(certText)
    .filter((b) => isCertificateLabel(b.label))
    .map((b) => b.text);
  const keys = pemTexts(keyText).filter((b) => isPrivateKeyLabel(b.label));
  const key = keys[0];
  if (certs.length === 0) throw new CliError(`--cert file ${certFile} holds no CERTIFICATE block`, EXIT.other);
  if (key === undefined) throw new CliError(`--key file ${keyFile} holds no PRIVATE KEY block`, EXIT.other);
  // Grid keys are unencrypted on disk (hostkey.pem, proxies); prompting for a passphrase has no caller here.
  if (key.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type: 4,ENCRYPTED/.test(key.text)) throw new CliError(`--key file ${keyFile} holds an encrypted key: not supported`, EXIT.other);
  const chain = parsePemChain(certs.join('\n'));
  const parsed = chain.ok ? chain.value.map((der) => certificate(der)) : [];
  const leaf = parsed[0];
  // Who we are: the end-entity behind any proxies (a pilot's proxy names its owner).
  const dn = parsed.find((c) => c !== undefined && !isProxy(c))?.subject.dn;
  return {
    certPem: certs.join('\n'),
    keyPem: key.text,
    ...(dn === undefined ? {} : { dn }),
    // A host certificate (not a proxy) is the PEP host's identity: authz-interop resource-x509-id, EMI resource-owner.
    ...(dn === undefined || leaf === undefined || isProxy(leaf) ? {} : { hostDn: dn }),
  };
}

/** Every certificate in the IGTF directory's *.0 and *.pem files: the server must chain to one of them. */
function trustAnchors(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new CliError(`cannot read --capath directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, EXIT.other);
  }
  const anchors = new Set<string>();
  for (const name of names.filter((n) => /\.(0|pem)$/.test(n)).sort()) {
    const text = readText(join(dir, name), 'CA file');
    for (const block of pemTexts(text)) if (isCertificateLabel(block.label)) anchors.add(block.text);
  }
  if (anchors.size === 0) throw new CliError(`--capath directory ${dir} holds no CA certificate (*.0 or *.pem)`, EXIT.other);
  return [...anchors];
}

/** The payload chain as sent (certificates only, file order) and the end-entity DN it identifies. */
function payloadChain(file: string): { pem: string; eecDn: Dn; eecIssuerDn?: Dn; vos: string[]; fqans: string[]; vomsIssuer?: Dn } {
  const chain = parsePemChain(readText(file, '--proxy file'));
  if (!chain.ok) throw new CliError(`--proxy file ${file}: ${chain.error.detail}`, EXIT.other);
  const certs = chain.value.map((der) => certificate(der));
  if (certs.some((c) => c === undefined)) throw new CliError(`--proxy file ${file}: a certificate does not parse`, EXIT.other);
  // The user is the first certificate that is not a proxy: every dialect names the EEC, not the proxy (§5.1).
  const eec = certs.find((c) => c !== undefined && !isProxy(c));
  const eecDn = eec?.subject.dn;
  if (eec === undefined || eecDn === undefined) throw new CliError(`--proxy file ${file} holds no end-entity certificate (only proxies)`, EXIT.other);
  const pem = chain.value.map((der) => pemEncode('CERTIFICATE', der).trimEnd()).join('\n');
  const issuer = eec.issuer.dn;
  // The VOMS attributes as a PEP reads them from the proxy (not verified here: the server does that), primary first.
  const acs = unverifiedVomsAttributes(certs.filter((c): c is Certificate => c !== undefined));
  const vos = [...new Set(acs.flatMap((ac) => (ac.vo === undefined ? [] : [ac.vo])))];
  const fqans = acs.flatMap((ac) => ac.fqans);
  const vomsIssuer = acs[0]?.issuer;
  return { pem, eecDn, ...(issuer === undefined ? {} : { eecIssuerDn: issuer }), vos, fqans, ...(vomsIssuer === undefined ? {} : { vomsIssuer }) };
}

function certificate(der: Buffer | undefined): Certificate | undefined {
  if (der === undefined) return undefined;
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}

/** RFC 3820 and pre-RFC (draft) proxies carry proxyCertInfo; legacy Globus proxies are named issuer + CN=proxy. */
function isProxy(cert: Certificate): boolean {
  if (cert.extensions.some((e) => e.oid === Oid.proxyCertInfo || e.oid === Oid.proxyCertInfoDraft)) return true;
  const subject = cert.subject.dn;
  const issuer = cert.issuer.dn;
  if (subject === undefined || issuer === undefined || !subject.isChildOf(issuer)) return false;
  const cn = subject.rdns[subject.rdns.length - 1]?.[0];
  return cn !== undefined && cn.type === 'CN' && (cn.value === 'proxy' || cn.value === 'limited proxy');
}

interface Exchange {
  readonly request: string;
  readonly status: number;
  readonly statusText: string;
  readonly response: string;
}

/**
 * One POST over mutual TLS. The body is built once the handshake is done because a PRIMA request names the
 * server's certificate subject. A fresh connection (no agent) guarantees that handshake happens for this request.
 * The server's certificate must chain to `ca` and match the URL's host name (§14.5: real clients skip that).
 */
function post(
  url: URL,
  tls: { cert: string; key: string; ca: string[] },
  timeoutMs: number,
  authzenPath: string | undefined,
  build: (serverCertificate: Buffer) => Built,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let sent = '';
    let settled = false;
    const finish = (error: Error | undefined, value?: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) reject(error);
      else if (value !== undefined) resolve(value);
    };
    const req = httpsRequest({
      protocol: 'https:',
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? 443 : Number(url.port),
      // The AuthZEN endpoint has its own path (authzen.md §10.1); a bare server URL means it.
      path: authzenPath ?? `${url.pathname}${url.search}`,
      method: 'POST',
      agent: false,
      cert: tls.cert,
      key: tls.key,
      ca: tls.ca,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('socket', (socket) => {
      (socket as TLSSocket).once('secureConnect', () => {
        try {
          const { body, soapAction, contentType } = build((socket as TLSSocket).getPeerCertificate().raw);
          sent = body;
          req.setHeader('Content-Type', contentType ?? 'text/xml; charset=UTF-8');
          if (soapAction !== undefined) req.setHeader('SOAPAction', soapAction);
          req.setHeader('Content-Length', Buffer.byteLength(body));
          req.end(body);
        } catch (err) {
          req.destroy();
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish(new CliError(connectionMessage(url, err), EXIT.other)));
    let responded = false;
    const truncated = (): CliError => new CliError(`connection to ${url.host} closed before the answer was complete`, EXIT.other);
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(new CliError(`the answer from ${url.host} is larger than ${MAX_RESPONSE_BYTES} bytes`, EXIT.other));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(undefined, { request: sent, status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', response: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => finish(new CliError(connectionMessage(url, err), EXIT.other)));
      // A connection cut mid-answer may end without 'end' or 'error'; an unsettled promise would let the
      // process exit 0, which reads as Permit.
      res.on('close', () => finish(truncated()));
    });
    req.on('close', () => finish(responded ? truncated() : new CliError(`connection to ${url.host} closed without an answer`, EXIT.other)));
  });
}

function connectionMessage(url: URL, err: NodeJS.ErrnoException): string {
  const where = url.host;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${url.hostname}`;
    case 'ECONNRESET':
      return `connection to ${where} reset by the server`;
    default:
      // TLS verification failures carry OpenSSL's reason, e.g. "unable to get local issuer certificate".
      return `connection to ${where} failed: ${err.message}${err.code === undefined ? '' : ` (${err.code})`}`;
  }
}
