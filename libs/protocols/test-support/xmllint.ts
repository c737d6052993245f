import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { Element, Node } from '@xmldom/xmldom';

/** The OASIS schemas kept in the repository (test/schemas/README.md says where each comes from). */
export function schemaDir(): string {
  return resolve(__dirname, '..', '..', '..', 'test', 'schemas');
}

export const PROFILE_PROTOCOL_SCHEMA = 'xacml-2.0-profile-saml2.0-v2-schema-protocol-wd-5.xsd';

/** The first element child of the SOAP Body, serialised on its own (its namespaces travel with it). */
export function soapPayload(envelope: string): string {
  const doc = new DOMParser().parseFromString(envelope, 'text/xml');
  const root = doc.documentElement;
  if (root === null) throw new Error('no document element');
  const body = elements(root).find((e) => e.localName === 'Body');
  const payload = body === undefined ? undefined : elements(body)[0];
  if (payload === undefined) throw new Error('no Body payload');
  return new XMLSerializer().serializeToString(payload);
}

/** Runs `xmllint --noout --nonet --schema` on the payload; returns xmllint's verdict and output. */
export function validatePayload(envelope: string, schema = PROFILE_PROTOCOL_SCHEMA): { valid: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gridauthz-xsd-'));
  try {
    const file = join(dir, 'payload.xml');
    writeFileSync(file, soapPayload(envelope));
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', join(schemaDir(), schema), file], { encoding: 'utf8' });
    if (run.error !== undefined) throw run.error;
    return { valid: run.status === 0, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function elements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let child: Node | null = parent.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === child.ELEMENT_NODE) out.push(child as Element);
  }
  return out;
}
