import { randomUUID } from 'node:crypto';
import { decodeXacmlResponse, encodeXacmlQuery, type XacmlAnswer } from '@gridauthz/protocols';
import { fixturePki, readFixture, type ClientIdentity } from './fixtures';
import { httpsCall, type HttpsResponse } from './https-client';

export type TestDialect = 'authz-interop' | 'grid-wn' | 'grid-ce' | 'emi';

export interface QueryOutcome {
  readonly http: HttpsResponse;
  readonly answer?: XacmlAnswer;
}

/**
 * Asks the PDP the way a real PEP of the dialect does: the caller's TLS identity (a host certificate or a
 * pilot's proxy) and, in the query, the payload owner's proxy chain.
 */
export async function askPdp(options: {
  url: string;
  ca: string;
  caller: ClientIdentity;
  payloadProxy: string;
  dialect: TestDialect;
  resource?: string;
  action?: string;
  path?: string;
}): Promise<QueryOutcome> {
  const proxy = fixturePki().proxies[options.payloadProxy];
  if (!proxy) throw new Error(`no fixture proxy ${options.payloadProxy}`);
  const query = encodeXacmlQuery({
    dialect: options.dialect,
    subjectChainPem: readFixture(proxy.file),
    subjectDn: proxy.identity,
    ...(options.resource !== undefined ? { resource: options.resource } : {}),
    ...(options.action !== undefined ? { action: options.action } : {}),
    hostName: 'wn042.example.org',
    now: new Date(),
    idGenerator: randomUUID,
  });
  const http = await httpsCall({
    url: `${options.url}${options.path ?? '/'}`,
    method: 'POST',
    ca: options.ca,
    identity: options.caller,
    body: query.body,
    headers: { soapaction: query.soapAction },
  });
  const decoded = decodeXacmlResponse(http.body, query.expect);
  return decoded.ok ? { http, answer: decoded.value } : { http };
}
