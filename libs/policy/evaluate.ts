/**
 * XACML 2.0 first-applicable evaluation at every level (policy-language.md §6.2): resource blocks in order, their
 * action blocks in order, their rules in order; the first Permit/Deny wins, Indeterminate stops the search.
 */
import type { DecisionValue } from '@gridauthz/domain';
import type { CompiledAction, CompiledResource, CompiledRule, PolicyObligation, PolicySet } from './compile';
import { RequestView, type PolicyRequest } from './request-view';

/** Identifies the deciding rule; the audit record's "reason". */
export interface MatchedRule {
  readonly source: string;
  /** `<source>:<line>` of the resource block. */
  readonly policySetId: string;
  /** `<source>:<line>` of the action block. */
  readonly policyId: string;
  readonly resource: string;
  readonly action: string;
  /** 0-based position among the rules of the action block. */
  readonly ruleIndex: number;
  readonly line: number;
  readonly column: number;
  /** The rule on one line, e.g. `rule deny { subject="CN=x" }`. */
  readonly text: string;
}

export interface PolicyDecision {
  readonly decision: DecisionValue;
  /** Only on Permit: the resource block's obligations, then the action block's (FulfillOn="Permit", §6.2.6). */
  readonly obligations: readonly PolicyObligation[];
  /** The rule that decided (Permit/Deny) or whose evaluation failed (Indeterminate, when a rule was reached). */
  readonly matched?: MatchedRule;
  /** Why the answer is Indeterminate. */
  readonly detail?: string;
}

const NOT_APPLICABLE: PolicyDecision = Object.freeze({ decision: 'NotApplicable', obligations: Object.freeze([]) });

function matched(resource: CompiledResource, action: CompiledAction, rule: CompiledRule): MatchedRule {
  return {
    source: resource.source,
    policySetId: resource.policySetId,
    policyId: action.policyId,
    resource: resource.value,
    action: action.value,
    ruleIndex: rule.index,
    line: rule.line,
    column: rule.column,
    text: rule.text,
  };
}

export function evaluate(set: PolicySet, request: PolicyRequest): PolicyDecision {
  const view = new RequestView(request);
  for (const resource of set.resources) {
    const r = resource.match(view);
    if (r === 0) continue;
    if (r === 2) return { decision: 'Indeterminate', obligations: [], detail: `resource target of ${resource.policySetId} could not be evaluated` };
    for (const action of resource.actions) {
      const a = action.match(view);
      if (a === 0) continue;
      if (a === 2) return { decision: 'Indeterminate', obligations: [], detail: `action target of ${action.policyId} could not be evaluated` };
      for (const rule of action.rules) {
        const m = rule.match(view);
        if (m === 0) continue;
        const reason = matched(resource, action, rule);
        if (m === 2) {
          return { decision: 'Indeterminate', obligations: [], matched: reason, detail: `a request attribute tested by ${resource.source}:${rule.line} could not be evaluated` };
        }
        const obligations = rule.effect === 'Permit' ? [...resource.obligations, ...action.obligations] : [];
        return { decision: rule.effect, obligations, matched: reason };
      }
    }
  }
  return NOT_APPLICABLE;
}

/** One line for logs and audit records: `site.spl:12 rule deny { pfqan="/atlas/Role=pilot" }`. */
export function describeMatch(m: MatchedRule): string {
  return `${m.source}:${m.line} ${m.text}`;
}
