/**
 * Test-only, deliberately separate from libs/protocols/hessian: a small reader of a PEPd answer written from the
 * Java model's class and field names and types (docs/pepd.md §3) and from how the C client reads them (a map per
 * object, typed with the class name, looked up by field name; decision and fulfillOn are Hessian ints; strings
 * may be null where the Java field is an object). It shares no code with our codec, so a mistake in our encoder is
 * not mirrored here. It handles only what a Response holds.
 */

type Plain = null | boolean | number | string | Plain[] | { readonly $class: string | null; readonly fields: Record<string, Plain> };

class Bytes {
  at = 0;
  constructor(readonly b: Buffer) {}
  tag(): string {
    if (this.at >= this.b.length) throw new Error('end of input');
    return String.fromCharCode(this.b[this.at++]!);
  }
  peek(): string {
    return String.fromCharCode(this.b[this.at]!);
  }
  u16(): number {
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  i32(): number {
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  /** n characters of UTF-8; only BMP text is expected in an answer. */
  chars(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = this.b[this.at]!;
      const len = c < 0x80 ? 1 : c < 0xe0 ? 2 : 3;
      s += this.b.subarray(this.at, this.at + len).toString('utf8');
      this.at += len;
    }
    return s;
  }
}

function read(r: Bytes): Plain {
  const t = r.tag();
  switch (t) {
    case 'N':
      return null;
    case 'T':
      return true;
    case 'F':
      return false;
    case 'I':
      return r.i32();
    case 'S':
      return r.chars(r.u16());
    case 's': {
      let s = r.chars(r.u16());
      for (;;) {
        const next = r.tag();
        s += r.chars(r.u16());
        if (next === 'S') return s;
        if (next !== 's') throw new Error(`bad string chunk ${next}`);
      }
    }
    case 'V': {
      if (r.peek() === 't') {
        r.tag();
        r.chars(r.u16());
      }
      let declared = -1;
      if (r.peek() === 'l') {
        r.tag();
        declared = r.i32();
      }
      const items: Plain[] = [];
      while (r.peek() !== 'z') items.push(read(r));
      r.tag();
      if (declared !== -1 && declared !== items.length) throw new Error('list length mismatch');
      return items;
    }
    case 'M': {
      let $class: string | null = null;
      if (r.peek() === 't') {
        r.tag();
        $class = r.chars(r.u16());
      }
      const fields: Record<string, Plain> = Object.create(null) as Record<string, Plain>;
      while (r.peek() !== 'z') {
        const key = read(r);
        if (typeof key !== 'string') throw new Error('non-string field name');
        if (key in fields) throw new Error(`repeated field ${key}`);
        fields[key] = read(r);
      }
      r.tag();
      return { $class, fields };
    }
    default:
      throw new Error(`tag ${t} not expected in a PEPd answer`);
  }
}

const M = 'org.glite.authz.common.model.';

function obj(v: Plain, cls: string): Record<string, Plain> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v.$class !== M + cls) throw new Error(`expected ${M}${cls}`);
  return v.fields;
}
const str = (v: Plain | undefined, what: string): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  return v;
};
const int = (v: Plain | undefined, what: string): number => {
  if (typeof v !== 'number') throw new Error(`${what} must be a Hessian int`);
  return v;
};
const list = (v: Plain | undefined, what: string): Plain[] => {
  if (!Array.isArray(v)) throw new Error(`${what} must be a list`);
  return v;
};

export interface JavaStatusCode {
  code: string | null;
  subCode: JavaStatusCode | null;
}

function statusCode(v: Plain | undefined): JavaStatusCode | null {
  if (v === undefined || v === null) return null;
  const f = obj(v, 'StatusCode');
  return { code: str(f['code'], 'StatusCode.code'), subCode: statusCode(f['subCode']) };
}

function attributes(v: Plain | undefined, where: string) {
  return list(v, `${where}.attributes`).map((a) => {
    const f = obj(a, 'Attribute');
    return {
      id: str(f['id'], 'Attribute.id'),
      dataType: str(f['dataType'], 'Attribute.dataType'),
      issuer: str(f['issuer'], 'Attribute.issuer'),
      values: list(f['values'], 'Attribute.values').map((x) => str(x, 'Attribute value')),
    };
  });
}

function request_(v: Plain) {
  const f = obj(v, 'Request');
  const bag = (b: Plain | undefined, cls: string) => (b === undefined || b === null ? null : attributes(obj(b, cls)['attributes'], cls));
  return {
    subjects: list(f['subjects'], 'Request.subjects').map((s) => {
      const sf = obj(s, 'Subject');
      return { category: str(sf['category'], 'Subject.category'), attributes: attributes(sf['attributes'], 'Subject') };
    }),
    resources: list(f['resources'], 'Request.resources').map((r) => {
      const rf = obj(r, 'Resource');
      return { resourceContent: str(rf['resourceContent'], 'Resource.resourceContent'), attributes: attributes(rf['attributes'], 'Resource') };
    }),
    action: bag(f['action'], 'Action'),
    environment: bag(f['environment'], 'Environment'),
  };
}

/** Reads the base64 body of a PEPd answer into the Java model's shape. */
export function readJavaResponse(body: string) {
  if (!/^([A-Za-z0-9+/=]{1,64}\r\n)+$/.test(body)) throw new Error('body is not 64-column CRLF base64');
  const r = new Bytes(Buffer.from(body.replace(/\r\n/g, ''), 'base64'));
  const top = obj(read(r), 'Response');
  if (r.at !== r.b.length) throw new Error('trailing bytes');
  const request = top['request'];
  return {
    hasRequest: request !== null && request !== undefined,
    requestFields: request ? Object.keys(obj(request, 'Request')) : [],
    request: request === null || request === undefined ? null : request_(request),
    results: list(top['results'], 'Response.results').map((res) => {
      const f = obj(res, 'Result');
      const st = f['status'];
      const sf = st === null || st === undefined ? null : obj(st, 'Status');
      return {
        decision: int(f['decision'], 'Result.decision'),
        resourceId: str(f['resourceId'], 'Result.resourceId'),
        status: sf === null ? null : { message: str(sf['message'], 'Status.message'), statusCode: statusCode(sf['statusCode']) },
        obligations: list(f['obligations'], 'Result.obligations').map((o) => {
          const of = obj(o, 'Obligation');
          return {
            id: str(of['id'], 'Obligation.id'),
            fulfillOn: int(of['fulfillOn'], 'Obligation.fulfillOn'),
            attributeAssignments: list(of['attributeAssignments'], 'Obligation.attributeAssignments').map((a) => {
              const af = obj(a, 'AttributeAssignment');
              return { attributeId: str(af['attributeId'], 'attributeId'), dataType: str(af['dataType'], 'dataType'), value: str(af['value'], 'value') };
            }),
          };
        }),
      };
    }),
  };
}
