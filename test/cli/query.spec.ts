import { spawn } from 'node:child_process';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Dn } from '@gridauthz/domain';
import type { AuthzResult } from '@gridauthz/domain';
import {
  decodePrimaRequest,
  decodeXacmlQuery,
  encodePrimaResponse,
  encodeProtocolError,
  encodeSoapFault,
  encodeXacmlResponse,
} from '@gridauthz/protocols';
import type { DecodedQuery, PrimaQuery } from '@gridauthz/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliIfStale } from '../support/build-cli';
import { fixturePath, fixturePki, readFixture } from '../support/fixtures';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'bin', 'gridauthz.js');

interface Seen {
  path: string;
  soapAction: string | undefined;
  contentType: string | undefined;
  clientCertificateSubject: string | undefined;
  xacml?: DecodedQuery;
  prima?: PrimaQuery;
}

const account = { username: 'atlasprd042', uid: 40123, gid: 4001, groupName: 'atlasprd', secondaryGids: [4001, 4002], secondaryGroupNames: ['atlasprd', 'atlas'] };
const RESULTS: Record<string, AuthzResult> = {
  '/permit': { decisionId: 'd', decision: 'Permit', status: 'ok', account, obligations: [{ id: 'http://glite.org/xacml/obligation/local-environment-map', fulfillOn: 'Permit', assignments: [] }], reasons: [] },
  '/deny': { decisionId: 'd', decision: 'Deny', status: 'ok', obligations: [], reasons: [] },
  '/notapplicable': { decisionId: 'd', decision: 'NotApplicable', status: 'ok', obligations: [], reasons: [] },
  '/indeterminate': { decisionId: 'd', decision: 'Indeterminate', status: 'processing-error', statusMessage: 'policy store unavailable', obligations: [], reasons: [] },
};
let counter = 0;
const serverOpts = () => ({ issuer: 'https://localhost/test-pdp', now: new Date(), idGenerator: () => `_s${++counter}` });

/**
 * A PDP stand-in built from the real server codec: decodes the query, answers the fixed result its path names.
 * /fault answers a SOAP fault, /slow never answers, /prima speaks PRIMA.
 */
function startPdp(seen: Seen[], host = '127.0.0.1'): Promise<Server> {
  const pki = fixturePki();
  const server = createServer(
    { cert: readFixture(pki.host.certFile), key: readFixture(pki.host.keyFile), ca: readFixture(pki.ca.certFile), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        const record: Seen = {
          path: req.url ?? '',
          soapAction: req.headers['soapaction'] as string | undefined,
          contentType: req.headers['content-type'],
          clientCertificateSubject: peer.raw === undefined ? undefined : String(peer.subject.CN),
        };
        seen.push(record);
        const send = (status: number, xml: string): void => {
          res.writeHead(status, { 'Content-Type': 'text/xml; charset=UTF-8' });
          res.end(xml);
        };
        if (record.path === '/slow') return;
        if (record.path === '/cut') {
          // Headers promise more than arrives: the answer is cut off mid-body.
          res.writeHead(200, { 'Content-Type': 'text/xml; charset=UTF-8', 'Content-Length': '5000' });
          res.write('<soap11:Envelope xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/">');
          setTimeout(() => req.socket.destroy(), 50);
          return;
        }
        if (record.path === '/http404') {
          res.writeHead(404, { 'Content-Type': 'application/json' });
          return res.end('{"title":"Cannot POST /http404"}');
        }
        if (record.path === '/fault') return send(500, encodeSoapFault('Server', 'database unavailable'));
        if (record.path === '/prima') {
          const decoded = decodePrimaRequest(body);
          if (!decoded.ok || decoded.value.kind !== 'query') return send(500, encodeSoapFault('Client', 'not a PRIMA query'));
          record.prima = decoded.value;
          return send(200, encodePrimaResponse(decoded.value, RESULTS['/permit'], { ...serverOpts(), recipient: Dn.parse('/CN=caller') }));
        }
        const decoded = decodeXacmlQuery(body);
        if (!decoded.ok) {
          const error = encodeProtocolError(decoded.error, serverOpts());
          return send(error.httpStatus, error.body);
        }
        record.xacml = decoded.value;
        const result = RESULTS[record.path];
        if (result === undefined) return send(500, encodeSoapFault('Client', `no such test path ${record.path}`));
        return send(200, encodeXacmlResponse(decoded.value, result, serverOpts()));
      });
    },
  );
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, host, () => ok(server));
  });
}

function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    // Asynchronous: the PDP runs in this process, a synchronous child would deadlock it.
    const child = spawn(process.execPath, [CLI, 'query', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

describe('gridauthz query against a PDP built from the real server codec', () => {
  const seen: Seen[] = [];
  let server: Server;
  let base: string;
  const pki = () => fixturePki();
  const proxy = (name: string): string => {
    const entry = pki().proxies[name];
    if (entry === undefined) throw new Error(`no fixture proxy ${name}`);
    return fixturePath(entry.file);
  };
  /** Identity: alice's proxy file as --cert only (cert, key and chain in one file, as glexec's pilot would). */
  const common = (path: string, ...extra: string[]): string[] => [
    '--url',
    `${base}${path}`,
    '--cert',
    proxy('alice'),
    '--capath',
    fixturePath(pki().caDir),
    '--proxy',
    proxy('bob'),
    ...extra,
  ];
  const last = (): Seen => {
    const s = seen[seen.length - 1];
    if (s === undefined) throw new Error('the PDP saw no request');
    return s;
  };

  beforeAll(async () => {
    buildCliIfStale();
    server = await startPdp(seen);
    base = `https://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  });

  it('Permit (authz-interop): exit 0, account printed; the PDP got the payload user, over mutual TLS, as the C client sends', async () => {
    const run = await runCli(common('/permit'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Decision: Permit\n');
    expect(run.stdout).toContain('Username: atlasprd042\n');
    expect(run.stdout).toContain('UID: 40123\n');
    expect(run.stdout).toContain('GID: 4001\n');
    expect(run.stdout).toContain('Secondary GIDs: 4001 4002\n');
    const s = last();
    expect(s.contentType).toBe('text/xml; charset=UTF-8');
    expect(s.soapAction).toBe('"http://www.globus.org/security/XACMLAuthorization/XACMLAuthorizationPortType/AuthorizeRequest"');
    // The TLS client is alice's proxy; the question is about bob.
    expect(s.clientCertificateSubject).toMatch(/^Alice Atlas,\d+$/);
    expect(s.xacml?.dialect).toBe('authz-interop');
    expect(s.xacml?.request.subject.assertedDn?.toSlash()).toBe(pki().proxies['bob']?.identity);
    expect(s.xacml?.request.subject.chain).toHaveLength(2);
    expect(s.xacml?.request.defects).toEqual([]);
    // The C client's Issuer names the caller: the owner of the proxy, not the proxy.
    expect(s.xacml?.issuer?.value).toBe(pki().proxies['alice']?.identity);
    // A proxy is no host identity: no resource-x509-id.
    expect(s.xacml?.request.hostDn).toBeUndefined();
  });

  it('an answer cut off mid-body is exit 2, never a silent success', async () => {
    const run = await runCli(common('/cut'));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`gridauthz: connection to localhost:${(server.address() as AddressInfo).port} closed before the answer was complete\n`);
  });

  it('an HTTP status other than 200/500 is exit 2 naming the status, not a parse error', async () => {
    const run = await runCli(common('/http404'));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('gridauthz: server answered HTTP 404 Not Found\n');
  });

  it('Permit (grid-wn, --json, separate --cert/--key, legacy proxy payload): machine-readable names', async () => {
    const alice = pki().users['alice'];
    if (alice === undefined) throw new Error('no fixture user alice');
    const args = common('/permit', '--dialect', 'grid-wn', '--json');
    args.splice(args.indexOf('--cert'), 2, '--cert', fixturePath(alice.certFile), '--key', fixturePath(alice.keyFile));
    args.splice(args.indexOf('--proxy'), 2, '--proxy', proxy('alice-legacy'));
    const run = await runCli(args);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ protocol: 'xacml', dialect: 'grid-wn', decision: 'Permit', username: 'atlasprd042', groupName: 'atlasprd', groupNames: ['atlasprd', 'atlas'] });
    expect(out['request']).toBeUndefined();
    const s = last();
    expect(s.soapAction).toBe('http://www.oasis-open.org/committees/security');
    expect(s.clientCertificateSubject).toBe('Alice Atlas');
    expect(s.xacml?.dialect).toBe('grid-wn');
    // A legacy proxy names no proxyCertInfo: the EEC is still found behind CN=proxy.
    expect(s.xacml?.request.subject.assertedDn?.toSlash()).toBe(pki().proxies['alice-legacy']?.identity);
  });

  it('Deny: exit 1', async () => {
    const run = await runCli(common('/deny'));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Decision: Deny\n');
    expect(run.stdout).not.toContain('Username');
  });

  it('NotApplicable (emi): exit 1', async () => {
    const run = await runCli(common('/notapplicable', '--dialect', 'emi', '--resource', 'https://ce.example.org/arex', '--action', 'http://www.eu-emi.eu/es/2010/12/creation'));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Decision: NotApplicable\n');
    expect(last().xacml?.request).toMatchObject({ dialect: 'emi', resource: 'https://ce.example.org/arex', action: 'http://www.eu-emi.eu/es/2010/12/creation' });
  });

  it('Indeterminate: exit 2 with the status and message', async () => {
    const run = await runCli(common('/indeterminate', '--dialect', 'grid-ce'));
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Decision: Indeterminate\n');
    expect(run.stdout).toContain('Status: urn:oasis:names:tc:xacml:1.0:status:processing-error\n');
    expect(run.stdout).toContain('Status message: policy store unavailable\n');
  });

  it('SOAP fault: exit 2 and one line on stderr', async () => {
    const run = await runCli(common('/fault'));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('gridauthz: SOAP fault from the server: soap11:Server: database unavailable\n');
  });

  it('--json on a failure still prints one object (with the raw exchange under --xml), and the stderr line', async () => {
    const run = await runCli(common('/fault', '--json', '--xml'));
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ protocol: 'xacml', dialect: 'authz-interop', decision: null, error: 'SOAP fault from the server: soap11:Server: database unavailable' });
    expect(String(out['request'])).toContain('XACMLAuthzDecisionQuery');
    expect(String(out['response'])).toContain('<soap11:Fault>');
    expect(run.stderr).toBe('gridauthz: SOAP fault from the server: soap11:Server: database unavailable\n');
  });

  it('--xml prints the request and the response around the answer', async () => {
    const run = await runCli(common('/permit', '--xml'));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^--- request ---\n<\?xml[^\n]*\n<SOAP-ENV:Envelope [\s\S]*XACMLAuthzDecisionQuery[\s\S]*\n--- response \(HTTP 200\) ---\n[\s\S]*<saml2p:Response [\s\S]*\n---\nDecision: Permit\n/);
    expect(run.stdout).not.toContain('PRIVATE KEY');
  });

  it('connection refused: exit 2 with a clear one-line message', async () => {
    const closed = await new Promise<number>((ok) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const port = (probe.address() as AddressInfo).port;
        probe.close(() => ok(port));
      });
    });
    const args = common('/permit');
    args[1] = `https://127.0.0.1:${closed}/`;
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`gridauthz: cannot connect to 127.0.0.1:${closed}: connection refused\n`);
  });

  it('a server certificate from a CA outside --capath is refused before anything is sent', async () => {
    const before = seen.length;
    const args = common('/permit');
    args.splice(args.indexOf('--capath'), 2, '--capath', fixturePath('untrusted/ca'));
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^gridauthz: connection to localhost:\d+ failed: .*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\n$/);
    expect(seen.length).toBe(before);
  });

  it('a server whose certificate does not name the URL host is refused (real clients skip this, §14.5)', async () => {
    // The host certificate names localhost and 127.0.0.1; 127.0.0.2 is loopback too but in neither.
    const other = await startPdp(seen, '127.0.0.2');
    try {
      const before = seen.length;
      const args = common('/permit');
      args[1] = `https://127.0.0.2:${(other.address() as AddressInfo).port}/permit`;
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^gridauthz: connection to 127\.0\.0\.2:\d+ failed: .*\(ERR_TLS_CERT_ALTNAME_INVALID\)\n$/);
      expect(seen.length).toBe(before);
    } finally {
      other.closeAllConnections();
      await new Promise((ok) => other.close(ok));
    }
  });

  it('--timeout: a server that never answers is exit 2', async () => {
    const run = await runCli(common('/slow', '--timeout', '300'));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`gridauthz: connection to localhost:${(server.address() as AddressInfo).port} failed: no answer within 300 ms\n`);
  });

  it('--protocol prima: resource defaults to the server certificate subject; Permit with the user name', async () => {
    const run = await runCli(common('/prima', '--protocol', 'prima'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Decision: Permit\n');
    expect(run.stdout).toContain('Username: atlasprd042\n');
    const s = last();
    expect(s.soapAction).toBe('"http://www.gridforum.org/namespaces/2004/03/ogsa-authz/saml#SAMLRequest"');
    expect(s.prima?.resourceForPolicy).toBe(pki().host.subject);
    expect(s.prima?.subject.nameIdentifier?.name).toBe(pki().proxies['bob']?.identity);
  });

  it('usage errors are exit 2 before any connection', async () => {
    const before = seen.length;
    const http = await runCli(['--url', 'http://localhost:1/', ...common('/permit').slice(2)]);
    expect(http.code).toBe(2);
    expect(http.stderr).toBe('gridauthz: --url must be https://, not http:\n');
    const dialect = await runCli(common('/prima', '--protocol', 'prima', '--dialect', 'grid-wn'));
    expect(dialect.code).toBe(2);
    expect(dialect.stderr).toBe('gridauthz: --dialect and --action apply to --protocol xacml and pepd only\n');
    expect(seen.length).toBe(before);
  });
});
