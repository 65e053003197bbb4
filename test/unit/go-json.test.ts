import { describe, expect, it } from 'vitest';

import { formatGoFloat32, goDecode, type GoType } from '../../src/chaos/embedded/go-json.js';

// Expected strings below were checked against a real Go encoding/json
// (json.NewDecoder(strings.NewReader(body)).Decode(&v)) on equivalent types.

const str: GoType = { kind: 'string' };
const bool: GoType = { kind: 'bool' };
const int64: GoType = { kind: 'int', goName: 'int64' };
const int: GoType = { kind: 'int', goName: 'int' };
const float32: GoType = { kind: 'float', goName: 'float32' };
const float64: GoType = { kind: 'float', goName: 'float64' };
const anyType: GoType = { kind: 'any' };
const ptr = (elem: GoType): GoType => ({ kind: 'pointer', elem });

const Proxy: GoType = {
  kind: 'struct',
  name: 'Proxy',
  typeString: 'toxiproxy.Proxy',
  fields: [
    { json: 'name', type: str },
    { json: 'listen', type: str },
    { json: 'upstream', type: str },
    { json: 'enabled', type: bool },
  ],
};

const populateElemString = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }';
const Populate: GoType = {
  kind: 'slice',
  typeString: `[]${populateElemString}`,
  elem: {
    kind: 'struct',
    name: '',
    typeString: populateElemString,
    fields: [
      { json: 'name', type: str },
      { json: 'listen', type: str },
      { json: 'upstream', type: str },
      { json: 'enabled', type: ptr(bool) },
    ],
  },
};

// Toxiproxy decodes toxic attributes through an anonymous wrapper struct whose
// interface field holds a *LatencyToxic.
const LatencyAttributes: GoType = {
  kind: 'struct',
  name: '',
  typeString: 'struct { Attributes interface {} "json:\\"attributes\\"" }',
  fields: [
    {
      json: 'attributes',
      type: {
        kind: 'struct',
        name: 'LatencyToxic',
        typeString: 'toxics.LatencyToxic',
        fields: [
          { json: 'latency', type: int64 },
          { json: 'jitter', type: int64 },
        ],
      },
    },
  ],
};

const Item: GoType = {
  kind: 'struct',
  name: 'Item',
  typeString: 'main.Item',
  fields: [{ json: 'x', type: int }],
};
const Outer: GoType = {
  kind: 'struct',
  name: 'Outer',
  typeString: 'main.Outer',
  fields: [
    { json: 'items', type: { kind: 'slice', elem: Item, typeString: '[]main.Item' } },
    { json: 'toxicity', type: float32 },
    { json: 'ratio', type: float64 },
    { json: 'extra', type: anyType },
    { json: 'tags', type: { kind: 'slice', elem: str, typeString: '[]string' } },
    { json: 'key', type: str },
    { json: 'stream', type: str },
    { json: 'id', type: str },
  ],
};

function decodeOk(body: string, type: GoType, initial?: unknown): unknown {
  const result = goDecode(body, type, initial);
  if (!result.ok) throw new Error(`expected success, got: ${result.error}`);
  return result.value;
}

function decodeError(body: string, type: GoType, initial?: unknown): string {
  const result = goDecode(body, type, initial);
  if (result.ok) throw new Error(`expected an error, got: ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('goDecode: reading only the first value, like json.Decoder', () => {
  it.each(['', '   ', '\n\t\r '])('reports EOF for an empty or blank body (%j)', (body) => {
    expect(decodeError(body, Proxy)).toBe('EOF');
  });

  it.each(['{"name":"a"', '{', '[', '"abc', 'tru', '-', '1.', '1e', '1e+', '{"name":'])(
    'reports unexpected EOF for the truncated value %j',
    (body) => {
      expect(decodeError(body, anyType)).toBe('unexpected EOF');
    },
  );

  it('ignores anything after the first value, even garbage or a second value', () => {
    expect(decodeOk('{"name":"a"} trailing garbage {', Proxy)).toMatchObject({ name: 'a' });
    expect(decodeOk('{"name":"a"}{"name":"b"}', Proxy)).toMatchObject({ name: 'a' });
    expect(decodeOk('[1]]]', anyType)).toEqual([1]);
    expect(decodeOk('truex', bool)).toBe(true);
  });

  it('ends a top-level number at the first byte that cannot continue it', () => {
    expect(decodeOk('12x', int)).toBe(12);
    expect(decodeOk('-01', int)).toBe(0);
    expect(decodeOk(' 7 8', int)).toBe(7);
  });

  it('still needs the byte after a number when it could continue', () => {
    expect(decodeError('1. ', float64)).toBe("invalid character ' ' after decimal point in numeric literal");
  });
});

describe('goDecode: syntax errors use Go scanner messages', () => {
  it.each([
    ['{b', "invalid character 'b' looking for beginning of object key string"],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{"a"}', "invalid character '}' after object key"],
    ['{"a":1]', "invalid character ']' after object key:value pair"],
    ['{"a":1"', `invalid character '"' after object key:value pair`],
    ['[1 x]', "invalid character 'x' after array element"],
    ['[01]', "invalid character '1' after array element"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['tx', "invalid character 'x' in literal true (expecting 'r')"],
    ['fals ', "invalid character ' ' in literal false (expecting 'e')"],
    ['nulL', "invalid character 'L' in literal null (expecting 'l')"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
    ['"\u0001"', "invalid character '\\x01' in string literal"],
    ['"\u001f"', "invalid character '\\x1f' in string literal"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['\\', "invalid character '\\\\' looking for beginning of value"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1.e5', "invalid character 'e' after decimal point in numeric literal"],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ['1e+ ', "invalid character ' ' in exponent of numeric literal"],
    // Go reports the first byte of a multi-byte character, as a Latin-1 rune.
    ['\ufeff{}', "invalid character 'ï' looking for beginning of value"],
    ['{"a":1é}', "invalid character 'Ã' after object key:value pair"],
    ['{"a":1\u00a0}', "invalid character 'Â' after object key:value pair"],
  ])('%j -> %s', (body, message) => {
    expect(decodeError(body, anyType)).toBe(message);
  });

  it('limits nesting to 10000 levels like Go, without overflowing the JS stack', () => {
    expect(decodeError('['.repeat(10001), anyType)).toBe("invalid character '[' exceeded max depth");
    const deep = decodeOk('['.repeat(10000) + ']'.repeat(10000), anyType);
    expect(Array.isArray(deep)).toBe(true);
  });

  it('reports a syntax error even when a type error came earlier', () => {
    expect(decodeError('{"name":1, "listen":', Proxy)).toBe('unexpected EOF');
    expect(decodeError('{"name":1, x', Proxy)).toBe(
      "invalid character 'x' looking for beginning of object key string",
    );
  });
});

describe('goDecode: type errors', () => {
  it.each([
    ['"x"', 'json: cannot unmarshal string into Go value of type toxiproxy.Proxy'],
    ['[1]', 'json: cannot unmarshal array into Go value of type toxiproxy.Proxy'],
    ['12', 'json: cannot unmarshal number into Go value of type toxiproxy.Proxy'],
    ['true', 'json: cannot unmarshal bool into Go value of type toxiproxy.Proxy'],
    ['{"enabled":"yes"}', 'json: cannot unmarshal string into Go struct field Proxy.enabled of type bool'],
    ['{"name":1}', 'json: cannot unmarshal number into Go struct field Proxy.name of type string'],
    ['{"name":1.5}', 'json: cannot unmarshal number into Go struct field Proxy.name of type string'],
    ['{"name":true}', 'json: cannot unmarshal bool into Go struct field Proxy.name of type string'],
    ['{"name":[]}', 'json: cannot unmarshal array into Go struct field Proxy.name of type string'],
    ['{"name":{}}', 'json: cannot unmarshal object into Go struct field Proxy.name of type string'],
    ['{"NAME":5}', 'json: cannot unmarshal number into Go struct field Proxy.name of type string'],
  ])('%j -> %s', (body, message) => {
    expect(decodeError(body, Proxy)).toBe(message);
  });

  it('keeps decoding after a type error and returns the first one', () => {
    expect(decodeError('{"name":1,"enabled":"x"}', Proxy)).toBe(
      'json: cannot unmarshal number into Go struct field Proxy.name of type string',
    );
    expect(decodeError('{"upstream":"ok","enabled":"x","name":2}', Proxy)).toBe(
      'json: cannot unmarshal string into Go struct field Proxy.enabled of type bool',
    );
  });

  it('names the innermost struct and the full field path', () => {
    expect(decodeError('{"attributes":{"latency":2.5}}', LatencyAttributes)).toBe(
      'json: cannot unmarshal number 2.5 into Go struct field LatencyToxic.attributes.latency of type int64',
    );
    expect(decodeError('{"attributes":"x"}', LatencyAttributes)).toBe(
      'json: cannot unmarshal string into Go struct field .attributes of type toxics.LatencyToxic',
    );
  });

  it('adds nothing to the path for slice elements', () => {
    expect(decodeError('{"items":[{"x":1},{"x":"s"}]}', Outer)).toBe(
      'json: cannot unmarshal string into Go struct field Item.items.x of type int',
    );
    expect(decodeError('{"items":[1]}', Outer)).toBe(
      'json: cannot unmarshal number into Go struct field Outer.items of type main.Item',
    );
    expect(decodeError('{"items":{}}', Outer)).toBe(
      'json: cannot unmarshal object into Go struct field Outer.items of type []main.Item',
    );
    expect(decodeError('[{"name":"a"},{"enabled":"x"}]', Populate)).toBe(
      'json: cannot unmarshal string into Go struct field .enabled of type bool',
    );
    expect(decodeError('[1]', Populate)).toBe(
      `json: cannot unmarshal number into Go value of type ${populateElemString}`,
    );
    expect(decodeError('{}', Populate)).toBe(
      `json: cannot unmarshal object into Go value of type []${populateElemString}`,
    );
  });

  it.each([
    ['2.5', 'number 2.5'],
    ['1.0', 'number 1.0'],
    ['1e2', 'number 1e2'],
    ['9223372036854775808', 'number 9223372036854775808'],
    ['-9223372036854775809', 'number -9223372036854775809'],
  ])('rejects %j for an int64 field with the literal in the message', (literal, what) => {
    expect(decodeError(`{"attributes":{"jitter":${literal}}}`, LatencyAttributes)).toBe(
      `json: cannot unmarshal ${what} into Go struct field LatencyToxic.attributes.jitter of type int64`,
    );
  });

  it('uses the Go type name of int fields', () => {
    expect(decodeError('1.5', int)).toBe('json: cannot unmarshal number 1.5 into Go value of type int');
  });

  it('rejects numbers outside float32 or float64 range', () => {
    expect(decodeError('{"toxicity":1e40}', Outer)).toBe(
      'json: cannot unmarshal number 1e40 into Go struct field Outer.toxicity of type float32',
    );
    expect(decodeError('{"ratio":1e400}', Outer)).toBe(
      'json: cannot unmarshal number 1e400 into Go struct field Outer.ratio of type float64',
    );
    expect(decodeError('{"extra":{"deep":[1,-1e400]}}', Outer)).toBe(
      'json: cannot unmarshal number -1e400 into Go struct field Outer.extra of type float64',
    );
  });
});

describe('goDecode: values', () => {
  it('accepts the full int64 range and returns numbers', () => {
    expect(decodeOk('9223372036854775807', int64)).toBe(2 ** 63); // nearest double
    expect(decodeOk('-9223372036854775808', int64)).toBe(-(2 ** 63));
    expect(Object.is(decodeOk('-0', int64), 0)).toBe(true);
  });

  it('matches keys exactly first, then case-insensitively', () => {
    expect(decodeOk('{"NAME":"a","Enabled":true,"LiStEn":"l"}', Proxy)).toEqual({
      name: 'a',
      listen: 'l',
      upstream: '',
      enabled: true,
    });
    const twoCases: GoType = {
      kind: 'struct',
      name: 'T',
      typeString: 'main.T',
      fields: [
        { json: 'name', type: str },
        { json: 'NAME', type: str },
      ],
    };
    expect(decodeOk('{"NAME":"exact","Name":"folded"}', twoCases)).toEqual({ name: 'folded', NAME: 'exact' });
  });

  it('folds keys with Unicode simple folding, as Go does', () => {
    // KELVIN SIGN folds to K and LONG S to S; DOTLESS I folds to nothing else.
    expect(decodeOk('{"\u212aEY":"k","\u017ftream":"s","\u0131d":"i"}', Outer)).toMatchObject({
      key: 'k',
      stream: 's',
      id: '',
    });
  });

  it('ignores unknown keys without looking at their values', () => {
    expect(decodeOk('{"bogus":{"deep":[1e400, "x"]},"name":"a"}', Proxy)).toMatchObject({ name: 'a' });
  });

  it('lets later duplicate keys win', () => {
    expect(decodeOk('{"name":"a","NAME":"b"}', Proxy)).toMatchObject({ name: 'b' });
    expect(decodeOk('{"a":1,"a":2}', anyType)).toEqual({ a: 2 });
  });

  it('keeps initial values for absent fields and does not mutate the initial object', () => {
    const initial = { name: 'keep', listen: 'l', upstream: 'u', enabled: true };
    expect(decodeOk('{"listen":"new"}', Proxy, initial)).toEqual({ ...initial, listen: 'new' });
    expect(initial.listen).toBe('l');
  });

  it('fills zero values when there is no initial value', () => {
    expect(decodeOk('{}', Proxy)).toEqual({ name: '', listen: '', upstream: '', enabled: false });
  });

  it('leaves non-nilable values unchanged on null and nils the rest', () => {
    const initial = { items: [{ x: 1 }], toxicity: 0.5, ratio: 2, extra: { a: 1 }, tags: ['t'], key: 'k' };
    expect(
      decodeOk('{"items":null,"toxicity":null,"ratio":null,"extra":null,"key":null}', Outer, initial),
    ).toMatchObject({ items: null, toxicity: 0.5, ratio: 2, extra: null, tags: ['t'], key: 'k' });
    expect(decodeOk('null', Proxy, { name: 'x' })).toEqual({ name: 'x' });
    expect(decodeOk('null', ptr(str), 'x')).toBeUndefined();
  });

  it('decodes pointers: null is undefined, anything else the pointed-to value', () => {
    expect(decodeOk('[{"name":"a","enabled":false},{"name":"b"},{"enabled":null}]', Populate)).toEqual([
      { name: 'a', listen: '', upstream: '', enabled: false },
      { name: 'b', listen: '', upstream: '', enabled: undefined },
      { name: '', listen: '', upstream: '', enabled: undefined },
    ]);
  });

  it('decodes slices into existing elements and replaces an empty array with []', () => {
    const initial = [{ name: 'a', listen: 'x', upstream: '', enabled: undefined }];
    expect(decodeOk('[{"name":"b"},{"name":"c"}]', Populate, initial)).toEqual([
      { name: 'b', listen: 'x', upstream: '', enabled: undefined },
      { name: 'c', listen: '', upstream: '', enabled: undefined },
    ]);
    expect(decodeOk('[]', Populate, initial)).toEqual([]);
  });

  it('keeps interface{} values as plain JS values', () => {
    expect(decodeOk('{"a":[1,"two",true,null,{"b":2.5}]}', anyType)).toEqual({
      a: [1, 'two', true, null, { b: 2.5 }],
    });
    const value = decodeOk('{"__proto__":{"polluted":true}}', anyType) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('decodes string escapes, replacing unpaired surrogates like Go', () => {
    expect(decodeOk('"a\\n\\"\\\\\\/\\u00e9\\ud83d\\ude00"', str)).toBe('a\n"\\/é😀');
    expect(decodeOk('"\\ud800x\\udc00\\ud800\\ud800\\udc00"', str)).toBe('\ufffdx\ufffd\ufffd\u{10000}');
  });

  it('rounds float32 fields directly from the decimal literal', () => {
    expect(decodeOk('{"toxicity":0.1}', Outer)).toMatchObject({ toxicity: Math.fround(0.1) });
    expect(decodeOk('3.4028235e38', float32)).toBe(3.4028234663852886e38);
    expect(decodeOk('1e-46', float32)).toBe(0);
    // Exactly halfway between two float32s: ties to even.
    expect(decodeOk('16777217', float32)).toBe(16777216);
    // Just above halfway; rounding through float64 first would wrongly give 16777216.
    expect(decodeOk('16777217.000000001', float32)).toBe(16777218);
  });

  it('decodes float64 fields with ordinary double rounding', () => {
    expect(decodeOk('0.1', float64)).toBe(0.1);
    expect(decodeOk('1e-400', float64)).toBe(0);
  });
});

describe('formatGoFloat32', () => {
  it.each([
    [Math.fround(0.1), '0.1'],
    [1, '1'],
    [2.5, '2.5'],
    [-1.5, '-1.5'],
    [0, '0'],
    [-0, '-0'],
    [Math.fround(1 / 3), '0.33333334'],
    [Math.fround(123456789), '123456790'],
    [1e20, '100000000000000000000'],
    [Math.fround(1e-5), '0.00001'],
    [Math.fround(1e-6), '0.000001'],
    // Go compares the cut-offs in float32, so fround(1e-6) is still plain.
    [Math.fround(9.999999e-7), '9.999999e-7'],
    [Math.fround(1e-7), '1e-7'],
    [Math.fround(1e21), '1e+21'],
    [3.4028234663852886e38, '3.4028235e+38'],
    [1.401298464324817e-45, '1e-45'],
    // Two shortest candidates (…76.2 and …76.3) are equally close: Go picks the even one.
    [1048576.25, '1048576.2'],
  ])('formats %s as %s', (value, expected) => {
    expect(formatGoFloat32(value)).toBe(expected);
  });

  it('rounds a float64 argument to float32 first', () => {
    expect(formatGoFloat32(0.1)).toBe('0.1');
    expect(formatGoFloat32(16777217)).toBe('16777216');
  });

  it.each([NaN, Infinity, -Infinity])('refuses %s like Go', (value) => {
    expect(() => formatGoFloat32(value)).toThrow(RangeError);
  });
});
