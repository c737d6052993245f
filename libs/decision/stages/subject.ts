/**
 * Stage 2, subject: who is the subject? Verified from its own chain or token when sent; taken from the caller's
 * assertion only when the caller stage believed it; a caller naming itself without being an asserter gets only what
 * its own chain says (docs/callers.md). The answer is the domain `Subject`, whatever the credential.
 */
import { type AuthzRequest, ErrorCodes, type Subject } from '@gridauthz/domain';
import type { CallerAuthority } from '@gridauthz/mapping';
import type { SubjectVerifier, TokenVerifier } from '../ports';
import { type Admission, type Standing, standingForChain } from './caller';
import { next, type Step, type Trail } from './outcome';

export interface Established {
  readonly subject: Subject;
  readonly standing: Standing;
}

export interface SubjectPorts {
  readonly verifier: SubjectVerifier;
  readonly tokenVerifier?: TokenVerifier;
}

/**
 * `seen` is told the subject as soon as a credential verified, so that a refusal after that point (a subject-id
 * naming someone else, a caller that may not send this chain) is recorded under the subject it concerned.
 */
export async function establishSubject(
  request: AuthzRequest,
  admission: Admission,
  ports: SubjectPorts,
  callers: CallerAuthority,
  now: Date,
  trail: Trail,
  seen: (subject: Subject) => void,
): Promise<Step<Established>> {
  const { claim, standing } = admission;
  switch (claim.kind) {
    case 'chain': {
      const verified = ports.verifier.verify(claim.chain, now);
      if (!verified.ok) return trail.deny(verified.error.code, `subject credential refused: ${verified.error.detail}`);
      const subject = verified.value;
      seen(subject);
      noteDropped(subject, trail);
      if (!subject.dn) return trail.deny('SUBJECT_NOT_VERIFIABLE', 'the certificate chain names no subject');
      // A subject-id beside the chain must name the chain's owner: Alice's proxy with Bob's DN is two questions.
      const named = request.subject.assertedDn;
      if (named && !named.equals(subject.dn)) {
        return trail.indeterminate('syntax-error', ErrorCodes.REQUEST_SUBJECT_MISMATCH, `the subject-id names ${named.toRfc2253()}, the certificate chain ${subject.dn.toRfc2253()}`);
      }
      const chainStanding = standingForChain(callers, request.caller.dn, subject.dn, trail);
      if (!chainStanding.ok) return chainStanding;
      return next({ subject, standing: chainStanding.value });
    }
    case 'token': {
      // The caller stage admitted the token's sender; the token itself must verify (docs/tokens.md).
      if (!ports.tokenVerifier) return trail.deny(ErrorCodes.CRED_TOKEN_NOT_ACCEPTED, 'this site accepts no bearer tokens (no token issuer is configured)');
      // Key look-ups may need the issuer's JWKS over the network: the only awaited step before bans.
      const verified = await ports.tokenVerifier.verify(claim.token, now);
      if (!verified.ok) return trail.deny(verified.error.code, `subject token refused: ${verified.error.detail}`);
      const subject = verified.value;
      if (!subject.token) return trail.deny(ErrorCodes.CRED_TOKEN_NOT_ACCEPTED, 'the token verifier returned no token identity');
      seen(subject);
      noteDropped(subject, trail, 'token-dropped');
      trail.note('subject:token');
      return next({ subject, standing: standing ?? unreachable() });
    }
    case 'asserted': {
      const admitted = standing ?? unreachable();
      if (admitted.as === 'own-credentials') {
        // The asserted FQANs are the caller's word about itself: ignored. Only its own verified chain counts.
        const own = request.caller.chain;
        if (!own || own.length === 0) return trail.indeterminate('missing-attribute', 'SUBJECT_NOT_VERIFIABLE', "the caller's own certificate chain is not available");
        const verified = ports.verifier.verify(own, now);
        if (!verified.ok) return trail.deny(verified.error.code, `caller credential refused: ${verified.error.detail}`);
        if (!verified.value.dn?.equals(request.caller.dn)) return trail.deny('SUBJECT_NOT_VERIFIABLE', "the caller's chain does not name the caller");
        seen(verified.value);
        noteDropped(verified.value, trail);
        trail.note('subject:own-credentials');
        return next({ subject: verified.value, standing: admitted });
      }
      trail.note('subject:asserted');
      return next({ subject: assertedSubject(request, claim.dn), standing: admitted });
    }
  }
}

/** The subject as a trusted asserter named it. */
function assertedSubject(request: AuthzRequest, dn: NonNullable<Subject['dn']>): Subject {
  const sent = request.subject;
  const fqans = sent.assertedFqans ?? [];
  const primaryFqan = sent.assertedPrimaryFqan ?? fqans[0];
  return {
    dn,
    issuerDn: sent.assertedIssuerDn,
    issuerDns: sent.assertedIssuerDns ?? (sent.assertedIssuerDn ? [sent.assertedIssuerDn] : []),
    // The primary first, wherever the list had it: mapping maps on the first FQAN (docs/dialects.md).
    fqans: primaryFqan ? [primaryFqan, ...fqans.filter((f) => !f.equals(primaryFqan))] : fqans,
    primaryFqan,
    vos: sent.assertedVos ?? [...new Set(fqans.map((f) => f.vo))],
    limited: false,
    droppedAttributes: [],
  };
}

function noteDropped(subject: Subject, trail: Trail, label = 'voms-dropped'): void {
  for (const dropped of subject.droppedAttributes) trail.note(`${label}:${dropped}`);
}

/** The caller stage sets a standing for every claim but a chain. */
function unreachable(): never {
  throw new Error('the caller stage admitted a claim without a standing');
}
