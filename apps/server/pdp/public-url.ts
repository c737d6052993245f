import { hostname } from 'node:os';
import { pdpIdentifier } from '@gridauthz/protocols';
import { EXIT, StartupFailure } from '../startup-failure';

/** Addresses that mean "every interface": they name no host a PEP could reach. */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The PDP's base URL as PEPs reach it (pdp.publicUrl, docs/authzen.md §1.1): the configured value, else one built
 * from the listener's own address. Never from a request: the Host header is the client's to choose, and a document
 * that echoed it would let anyone who can reach the listener have it name another PDP. A URL that cannot be built
 * (an empty or malformed host name) stops start-up, naming the setting that fixes it.
 */
export function pdpPublicUrl(configured: string | undefined, host: string, port: number, machine: () => string = hostname): string {
  if (configured !== undefined) return configured;
  const wildcard = WILDCARD_HOSTS.has(host);
  const name = wildcard ? machine() : host;
  const text = `https://${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`;
  const checked = pdpIdentifier(text);
  if (!checked.ok) {
    const from = wildcard ? "this machine's host name" : 'pdp.host';
    throw new StartupFailure(`pdp.publicUrl is unset and ${JSON.stringify(text)}, built from ${from} and pdp.port, is not a usable URL (${checked.error}); set pdp.publicUrl`, EXIT.config);
  }
  return checked.value;
}
