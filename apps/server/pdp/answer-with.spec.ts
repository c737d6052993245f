import { describe, expect, it } from 'vitest';
import type { Decider } from '@gridauthz/decision';
import { Dn, silentLog, type AuthzRequest, type AuthzResult } from '@gridauthz/domain';
import type { CodecInput, ProtocolCodec } from '@gridauthz/protocols';
import { noMetrics } from '../metrics/service-metrics';
import { AuthorizationService } from './authorization-service';

const caller = { dn: Dn.fromSlash('/DC=org/CN=ce01.example.org'), viaProxy: false, limited: false, notAfter: new Date(Date.now() + 3_600_000), chainLength: 1 };

function recordingDecider(seen: AuthzRequest[]): Decider {
  return {
    async decide(request: AuthzRequest) {
      seen.push(request);
      const result: AuthzResult = { decisionId: 'd1', decision: 'Permit', status: 'ok', obligations: [], reasons: [] };
      return { result, record: {} };
    },
  } as unknown as Decider;
}

/** A minimal line protocol on /line: "subject resource", answered "decision". Counts what the transport asks. */
function lineCodec(calls: string[], options: { withoutDecision?: boolean } = {}): ProtocolCodec<string> {
  return {
    protocol: 'line',
    accepts: (input: CodecInput) => {
      calls.push('accepts');
      return input.path === '/line';
    },
    decode: (input) => {
      calls.push('decode');
      const [subject, resource] = input.body.toString('utf8').split(' ');
      return {
        ok: true,
        value: {
          query: { dialect: 'line', accountExpected: false, subject: { assertedDn: Dn.fromSlash(subject ?? '') }, ...(resource ? { resource } : {}), obligationsSupported: [], environment: {}, defects: [] },
          message: resource ?? '',
          ...(options.withoutDecision ? { answerWithoutDecision: { decisionId: 'x', decision: 'Deny' as const, status: 'ok' as const, obligations: [], reasons: [] } } : {}),
        },
      };
    },
    encode: (decoded, result) => {
      calls.push('encode');
      return { httpStatus: 200, contentType: 'text/plain', body: `${result.decision} ${decoded.message}` };
    },
    encodeError: () => ({ httpStatus: 400, contentType: 'text/plain', body: 'bad' }),
  };
}

function service(decider: Decider | undefined, codecs: readonly ProtocolCodec[]) {
  return new AuthorizationService({
    decider: () => decider,
    issuer: 'pdp',
    limits: {},
    primaResource: 'ce',
    newId: () => '_id',
    clock: () => new Date(),
    metrics: noMetrics,
    codecs,
  });
}

describe('AuthorizationService.answer / answerWith (docs/architecture.md, "Codecs")', () => {
  it('chooses the codec once per request and runs decode, decide, encode through it', async () => {
    const calls: string[] = [];
    const seen: AuthzRequest[] = [];
    const s = service(recordingDecider(seen), [lineCodec(calls)]);
    const answer = await s.answer(Buffer.from('/DC=org/CN=Jane queue-a'), caller, silentLog, undefined, '/line');
    expect(answer).toEqual({ status: 200, contentType: 'text/plain', body: 'Permit queue-a' });
    expect(calls).toEqual(['accepts', 'decode', 'encode']);
    // The transport adds the TLS caller; everything else is the codec's query.
    expect(seen[0]?.caller.dn.equals(caller.dn)).toBe(true);
    expect(seen[0]?.dialect).toBe('line');
  });

  it('falls through to the XML family when no earlier codec accepts (any path: SOAP clients use many)', async () => {
    const calls: string[] = [];
    const s = service(recordingDecider([]), [lineCodec(calls)]);
    const answer = await s.answer(Buffer.from('<not-xml'), caller, silentLog, undefined, '/gums/services/GUMSXACMLAuthorizationServicePort');
    expect(calls).toEqual(['accepts']);
    expect(answer.status).toBe(500);
    expect(answer.contentType).toBe('text/xml; charset=UTF-8');
    expect(String(answer.body)).toContain('soap11:Client');
  });

  it('answers a message the codec answers without a decision at once: nothing decided', async () => {
    const calls: string[] = [];
    const seen: AuthzRequest[] = [];
    const s = service(recordingDecider(seen), []);
    const answer = await s.answerWith(lineCodec(calls, { withoutDecision: true }), { path: '/line', body: Buffer.from('/DC=org/CN=Jane q') }, caller, silentLog);
    expect(answer.body).toBe('Deny q');
    expect(seen).toEqual([]);
  });

  it('refuses in plain text with 503 while not ready, for a codec without its own refusal shape', async () => {
    const s = service(undefined, []);
    const answer = await s.answerWith(lineCodec([]), { path: '/line', body: Buffer.from('x') }, caller, silentLog);
    expect(answer.status).toBe(503);
    expect(answer.contentType).toContain('text/plain');
  });
});
