import { describe, expect, it } from 'vitest';
import { Dn } from '@gridauthz/domain';
import { CallerModel, parseUserWhiteList } from './caller';

const CE = Dn.fromSlash('/DC=org/DC=example/CN=ce01.example.org');
const PILOT = Dn.fromSlash('/DC=org/DC=example/CN=Pilot Owner');
const ALICE = Dn.fromSlash('/DC=org/DC=example/CN=Alice');
const BOB = Dn.fromSlash('/DC=org/DC=example/CN=Bob');

const model = CallerModel.of([
  { dn: CE, role: 'asserter', source: 'database' },
  { dn: PILOT, role: 'pilot', source: 'config' },
]);

describe('CallerModel.mayAsk', () => {
  it('lets anyone ask about itself with its own chain', () => {
    expect(model.mayAsk(ALICE, { kind: 'chain', dn: ALICE })).toEqual({ allowed: true, as: 'self' });
  });

  it('lets a pilot and an asserter ask about another subject whose chain they send', () => {
    expect(model.mayAsk(PILOT, { kind: 'chain', dn: ALICE })).toEqual({ allowed: true, as: 'pilot' });
    expect(model.mayAsk(CE, { kind: 'chain', dn: ALICE })).toEqual({ allowed: true, as: 'asserter' });
  });

  it('refuses anyone else asking about another chain', () => {
    expect(model.mayAsk(BOB, { kind: 'chain', dn: ALICE })).toMatchObject({ allowed: false, outcome: 'deny', code: 'MAPPING_CALLER_NOT_WHITELISTED' });
  });

  it('believes assertions only from asserters', () => {
    expect(model.mayAsk(CE, { kind: 'asserted', dn: ALICE })).toEqual({ allowed: true, as: 'asserted' });
    expect(model.mayAsk(BOB, { kind: 'asserted', dn: ALICE })).toMatchObject({ allowed: false, outcome: 'indeterminate', code: 'SUBJECT_NOT_VERIFIABLE' });
  });

  it('refuses a pilot that names a DN without the payload chain', () => {
    expect(model.mayAsk(PILOT, { kind: 'asserted', dn: ALICE })).toMatchObject({ allowed: false, outcome: 'deny', code: 'CALLER_CHAIN_REQUIRED' });
  });

  it('answers a non-asserter naming itself from its own credentials, never its assertion', () => {
    expect(model.mayAsk(ALICE, { kind: 'asserted', dn: ALICE })).toEqual({ allowed: true, as: 'own-credentials' });
    expect(model.mayAsk(PILOT, { kind: 'asserted', dn: PILOT })).toEqual({ allowed: true, as: 'own-credentials' });
  });

  it('compares DNs structurally, not as text', () => {
    const rfc = Dn.parse('CN=ce01.example.org,DC=example,DC=org');
    expect(model.mayAsk(rfc, { kind: 'asserted', dn: ALICE })).toEqual({ allowed: true, as: 'asserted' });
    expect(model.roles(Dn.fromSlash('/DC=org/DC=example/CN=ce01.example.org.evil'))).toEqual(new Set());
  });

  it('merges roles of one DN from several sources', () => {
    const both = CallerModel.of([
      { dn: CE, role: 'asserter', source: 'config' },
      { dn: Dn.parse('CN=ce01.example.org,DC=example,DC=org'), role: 'pilot', source: 'database' },
    ]);
    expect(both.roles(CE)).toEqual(new Set(['asserter', 'pilot']));
  });
});

describe('parseUserWhiteList', () => {
  it('reads one DN a line, quoted or not, with comments', () => {
    const items = parseUserWhiteList('# pilots\n/DC=org/DC=example/CN=Pilot Owner\n"/DC=org/DC=example/CN=Smith, John"  # quoted: keeps the comma\n\n');
    expect(items.map((i) => ('dn' in i ? i.dn.toSlash() : i.problem))).toEqual(['/DC=org/DC=example/CN=Pilot Owner', '/DC=org/DC=example/CN=Smith, John']);
    expect(items.map((i) => i.line)).toEqual([2, 3]);
  });

  it('reads the comma-separated user_white_list of a glexec.conf and ignores its other keys', () => {
    const conf = '[glexec]\nlinger = yes\nuser_white_list = "/DC=org/DC=example/CN=Pilot Owner","/DC=org/DC=example/CN=Other Pilot"\nlog_level = 3\n';
    const items = parseUserWhiteList(conf);
    expect(items.map((i) => ('dn' in i ? i.dn.toSlash() : i.problem))).toEqual(['/DC=org/DC=example/CN=Pilot Owner', '/DC=org/DC=example/CN=Other Pilot']);
  });

  it('reports local user names and bad entries instead of guessing', () => {
    const items = parseUserWhiteList('user_white_list = pilatl01,.pilatl\n"/DC=org/CN=unbalanced\n');
    expect(items).toHaveLength(3);
    expect(items.every((i) => 'problem' in i)).toBe(true);
    expect((items[0] as { problem: string }).problem).toMatch(/local user name/);
    expect((items[2] as { problem: string }).problem).toMatch(/quotes/);
  });

  it('reads RFC 2253 DNs', () => {
    const [item] = parseUserWhiteList('CN=Pilot Owner,DC=example,DC=org\n');
    expect(item && 'dn' in item && item.dn.equals(PILOT)).toBe(true);
  });
});
