import { Dn } from '@gridauthz/domain';
import { describe, expect, it } from 'vitest';
import { buildSubjectKey, decodeLeaseName, encodeLeaseDn, encodeLeaseDnText, encodeLeaseName, leaseKeyConventionFor, leaseNameMismatch } from './lease-name';

describe('lease DN encoding (mapping.md §2.3.1, verified rows)', () => {
  it.each([
    ['/DC=org/DC=example/CN=Alice Smith', '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20smith'],
    [
      '/DC=org/DC=example/CN=UPPER lower 123/emailAddress=A.B@C.D',
      '%2fdc%3dorg%2fdc%3dexample%2fcn%3dupper%20lower%20123%2femailaddress%3da%2eb%40c%2ed',
    ],
    [
      "/DC=org/DC=example/O=Test-Org_1.x/CN=J\\xC3\\xB6hn O'Brien+x,y:z@cern.ch~!*()#$&;",
      '%2fdc%3dorg%2fdc%3dexample%2fo%3dtest%2dorg%5f1%2ex%2fcn%3dj%5cxc3%5cxb6hn%20o%27brien%2bx%2cy%3az%40cern%2ech%7e%21%2a%28%29%23%24%26%3b',
    ],
    ['/DC=ch/DC=cern/OU=Users/CN=Pilot Person', '%2fdc%3dch%2fdc%3dcern%2fou%3dusers%2fcn%3dpilot%20person'],
    ['/C=IT/O=IGI/CN=test0', '%2fc%3dit%2fo%3digi%2fcn%3dtest0'],
  ])('%s', (dn, encoded) => {
    expect(encodeLeaseDnText(dn)).toBe(encoded);
    // The parsed DN renders back to the same OpenSSL text, so both entry points agree.
    expect(encodeLeaseDn(Dn.fromSlash(dn))).toBe(encoded);
  });

  it('refuses raw non-ASCII text and encodes a parsed UTF-8 DN via \\xHH', () => {
    expect(encodeLeaseDnText('/CN=Jörg')).toBeUndefined();
    expect(encodeLeaseDn(Dn.fromSlash('/CN=Jörg'))).toBe('%2fcn%3dj%5cxc3%5cxb6rg');
  });

  it('folds case, so the two spellings of Alice share one lease', () => {
    expect(encodeLeaseDn(Dn.fromSlash('/DC=org/DC=example/CN=alice smith'))).toBe(encodeLeaseDn(Dn.fromSlash('/DC=org/DC=example/CN=Alice Smith')));
  });
});

describe('subject keys (mapping.md §2.3.2)', () => {
  const dn = Dn.fromSlash('/DC=org/DC=example/CN=Alice Smith');
  const enc = '%2fdc%3dorg%2fdc%3dexample%2fcn%3dalice%20smith';
  const atlas = { name: 'atlas', gid: 5000 };
  const atlasde = { name: 'atlasde', gid: 5009 };
  const prdX = { name: 'Atlas-Prd.X_1', gid: 5011 };

  it('lcmaps-all: secondaries by gid, raw names, duplicates among secondaries removed, primary repeated kept', () => {
    expect(buildSubjectKey(dn, { primary: atlasde, secondary: [prdX, atlas] }, 'lcmaps-all')).toBe(`${enc}:atlasde:atlas:Atlas-Prd.X_1`);
    expect(buildSubjectKey(dn, { primary: atlas, secondary: [atlas, atlas] }, 'lcmaps-all')).toBe(`${enc}:atlas:atlas`);
  });

  it('argus-all keeps rule order and duplicates; primary-only and dn-only drop groups', () => {
    expect(buildSubjectKey(dn, { primary: atlas, secondary: [atlasde, prdX, atlas] }, 'argus-all')).toBe(`${enc}:atlas:atlasde:Atlas-Prd.X_1:atlas`);
    expect(buildSubjectKey(dn, { primary: atlas, secondary: [atlasde] }, 'primary-only')).toBe(`${enc}:atlas`);
    expect(buildSubjectKey(dn, { primary: atlas, secondary: [atlasde] }, 'dn-only')).toBe(enc);
  });

  it('no group at all gives the bare DN lease (which collides with the DN-only lease, as in LCMAPS)', () => {
    expect(buildSubjectKey(dn, { secondary: [] }, 'lcmaps-all')).toBe(enc);
  });
});

describe('lease name decoding (mapping.md §2.3.3)', () => {
  it('splits at the first raw ":" and recognises the mapcounter', () => {
    expect(decodeLeaseName('%2fdc%3dorg%2fdc%3dx%2fcn%3dmc:mapcount=0003')).toEqual({ encodedDn: '%2fdc%3dorg%2fdc%3dx%2fcn%3dmc', groups: [], mapcount: 3 });
    expect(decodeLeaseName('%2fc%3dit%2fo%3digi%2fcn%3dtest0:testvo:testvo')).toEqual({ encodedDn: '%2fc%3dit%2fo%3digi%2fcn%3dtest0', groups: ['testvo', 'testvo'] });
  });

  it('re-encodes byte for byte', () => {
    for (const name of ['%2fdc%3dorg%2fdc%3dx%2fcn%3dmc:mapcount=0003', '%2fcn%3da:atlasde:atlas:Atlas-Prd.X_1', '%2fcn%3da']) {
      const d = decodeLeaseName(name);
      expect(typeof d === 'string' ? d : encodeLeaseName(d)).toBe(name);
    }
  });

  it('rejects non-leases, bad encodings and names over 255 bytes', () => {
    expect(decodeLeaseName('atlas001')).toMatch(/not a lease/);
    expect(decodeLeaseName('%2fCN%3dA')).toMatch(/not an encoded DN/);
    expect(decodeLeaseName('%2fcn%3da::x')).toMatch(/bad group token/);
    expect(decodeLeaseName(`%2f${'a'.repeat(253)}`)).toMatch(/longer than 255 bytes/);
  });
});

describe('lease names of slash-ambiguous names (docs/identities.md)', () => {
  it("never give a name whose OpenSSL text is Alice's the lease name of Alice", () => {
    const alice = Dn.parse('/DC=org/DC=gridauthz-dev/OU=People/CN=Alice Atlas');
    const spliced = Dn.fromRdns([[{ type: 'DC', value: 'org' }], [{ type: 'DC', value: 'gridauthz-dev' }], [{ type: 'OU', value: 'People/CN=Alice Atlas' }]]);
    expect(encodeLeaseDn(alice)).toBe('%2fdc%3dorg%2fdc%3dgridauthz%2ddev%2fou%3dpeople%2fcn%3dalice%20atlas');
    expect(encodeLeaseDn(spliced)).toBe('%2fdc%3dorg%2fdc%3dgridauthz%2ddev%2fou%3dpeople%5cx2fcn%3dalice%20atlas');
  });
});

describe('mapping.leaseNames (docs/mapping.md "Lease names")', () => {
  it('auto keeps the convention each rule convention always had; the others name it explicitly', () => {
    expect(leaseKeyConventionFor('auto', 'argus')).toBe('argus-all');
    expect(leaseKeyConventionFor('auto', 'lcmaps')).toBe('lcmaps-all');
    for (const conventions of ['argus', 'lcmaps'] as const) {
      expect(leaseKeyConventionFor('argus', conventions)).toBe('argus-all');
      expect(leaseKeyConventionFor('dn', conventions)).toBe('dn-only');
      expect(leaseKeyConventionFor('dn-primary-group', conventions)).toBe('primary-only');
      expect(leaseKeyConventionFor('dn-groups', conventions)).toBe('lcmaps-all');
    }
  });

  it('says which stored names a convention can never produce', () => {
    const name = (text: string) => decodeLeaseName(text) as Exclude<ReturnType<typeof decodeLeaseName>, string>;
    expect(leaseNameMismatch(name('%2fcn%3da'), 'dn-only')).toBeUndefined();
    expect(leaseNameMismatch(name('%2fcn%3da'), 'primary-only')).toBeUndefined();
    expect(leaseNameMismatch(name('%2fcn%3da:atlas'), 'dn-only')).toMatch(/DN only/);
    expect(leaseNameMismatch(name('%2fcn%3da:atlas'), 'primary-only')).toBeUndefined();
    expect(leaseNameMismatch(name('%2fcn%3da:atlas:atlasde'), 'primary-only')).toMatch(/secondary/);
    expect(leaseNameMismatch(name('%2fcn%3da:atlas:atlasde'), 'lcmaps-all')).toBeUndefined();
    expect(leaseNameMismatch(name('%2fcn%3da:atlas:atlasde'), 'argus-all')).toBeUndefined();
    expect(leaseNameMismatch(name('%2fcn%3da:mapcount=0001'), 'lcmaps-all')).toMatch(/mapcount/);
  });
});
