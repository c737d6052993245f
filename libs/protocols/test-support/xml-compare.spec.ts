import { describe, expect, it } from 'vitest';
import { xmlDifferences } from './xml-compare';

describe('xmlDifferences', () => {
  it('ignores whitespace between elements and the values of ID and IssueInstant', () => {
    expect(xmlDifferences('<a:r xmlns:a="urn:x" ID="1" IssueInstant="t1">\n  <a:c>v</a:c>\n</a:r>', '<a:r xmlns:a="urn:x" ID="2" IssueInstant="t2"><a:c> v </a:c></a:r>')).toEqual([]);
  });

  it('reports a different prefix, attribute, text, and missing or extra children', () => {
    expect(xmlDifferences('<a:r xmlns:a="urn:x"/>', '<b:r xmlns:b="urn:x"/>')).toHaveLength(1);
    expect(xmlDifferences('<r k="1"/>', '<r k="2"/>')).toEqual(['/r/@k: expected "1", got "2"']);
    expect(xmlDifferences('<r>x</r>', '<r>y</r>')).toHaveLength(1);
    expect(xmlDifferences('<r><c/></r>', '<r/>')).toEqual(['/r: missing child c']);
    expect(xmlDifferences('<r/>', '<r><c/></r>')).toEqual(['/r: unexpected child c']);
    expect(xmlDifferences('<r ID="1"/>', '<r/>')).toEqual(['/r/@ID: missing']);
  });
});
