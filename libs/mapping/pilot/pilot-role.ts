/** An FQAN pattern that marks a pilot credential and the pilot pool it maps to (mapping.md §7; pilot_role table). */
export interface PilotRole {
  readonly id: string;
  /** Pattern in the site's syntax, e.g. `/atlas/Role=pilot`. */
  readonly fqanPattern: string;
  readonly poolId: string;
}

/**
 * A caller allowed to ask for payload mappings (gLExec's user_white_list, enforced centrally): the DN of a pilot
 * job's credential owner or of a worker-node host certificate.
 */
export interface PayloadCaller {
  readonly id: string;
  readonly kind: 'pilot' | 'host';
  readonly dn: string;
}
