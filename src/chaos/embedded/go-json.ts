/**
 * A faithful re-implementation of the parts of Go's encoding/json that the
 * Toxiproxy HTTP API exposes to clients: `json.NewDecoder(r).Decode(&v)` into
 * a handful of struct shapes, and float32 marshalling. Clients see Go's error
 * strings verbatim, so this module reproduces them byte for byte (Go 1.22/1.23
 * semantics; see the notes on each phase for the Go behaviour mirrored).
 */

export type GoType =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; goName: 'int' | 'int64' }
  | { kind: 'float'; goName: 'float32' | 'float64' }
  | {
      kind: 'struct';
      name: string;
      typeString: string;
      fields: ReadonlyArray<{ json: string; type: GoType }>;
    }
  | { kind: 'slice'; elem: GoType; typeString: string }
  | { kind: 'pointer'; elem: GoType }
  | { kind: 'any' };

export type GoDecodeResult = { ok: true; value: unknown } | { ok: false; error: string };

type StructType = Extract<GoType, { kind: 'struct' }>;

/* ------------------------------------------------------------------------ *
 * Phase 1: Go's scanner state machine, byte by byte. Porting the state
 * machine (rather than writing a recursive-descent parser) is what keeps the
 * syntax error messages and their precedence identical to Go's.
 * ------------------------------------------------------------------------ */

const Op = {
  Continue: 0,
  BeginLiteral: 1,
  BeginObject: 2,
  ObjectKey: 3,
  ObjectValue: 4,
  EndObject: 5,
  BeginArray: 6,
  ArrayValue: 7,
  EndArray: 8,
  SkipSpace: 9,
  End: 10,
  Error: 11,
} as const;
type Op = (typeof Op)[keyof typeof Op];

const Parse = { ObjectKey: 0, ObjectValue: 1, ArrayValue: 2 } as const;
type Parse = (typeof Parse)[keyof typeof Parse];

type StepFn = (s: Scanner, c: number) => Op;

const MAX_NESTING_DEPTH = 10000;

class Scanner {
  step: StepFn = stateBeginValue;
  readonly parseState: Parse[] = [];
  error = '';
  literal = '';
  literalPos = 0;
  hexLeft = 0;

  fail(c: number, context: string): Op {
    this.step = stateError;
    this.error = `invalid character ${quoteChar(c)} ${context}`;
    return Op.Error;
  }

  push(c: number, state: Parse, success: Op): Op {
    this.parseState.push(state);
    return this.parseState.length <= MAX_NESTING_DEPTH ? success : this.fail(c, 'exceeded max depth');
  }

  pop(op: Op): Op {
    this.parseState.pop();
    return to(this, this.parseState.length === 0 ? stateEndTop : stateEndValue, op);
  }
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const ch = (s: string): number => s.charCodeAt(0);

/** Transition helper: the scanner's next state, and what this byte was. */
function to(s: Scanner, next: StepFn, op: Op = Op.Continue): Op {
  s.step = next;
  return op;
}

function stateBeginValueOrEmpty(s: Scanner, c: number): Op {
  if (isSpace(c)) return Op.SkipSpace;
  return c === ch(']') ? stateEndValue(s, c) : stateBeginValue(s, c);
}

const LITERALS: Readonly<Record<string, string>> = { t: 'true', f: 'false', n: 'null' };

function stateBeginValue(s: Scanner, c: number): Op {
  if (isSpace(c)) return Op.SkipSpace;
  const literal = LITERALS[String.fromCharCode(c)];
  if (literal !== undefined) {
    s.literal = literal;
    s.literalPos = 1;
    return to(s, stateInLiteral, Op.BeginLiteral);
  }
  if (c === ch('{')) return s.push(c, Parse.ObjectKey, to(s, stateBeginStringOrEmpty, Op.BeginObject));
  if (c === ch('[')) return s.push(c, Parse.ArrayValue, to(s, stateBeginValueOrEmpty, Op.BeginArray));
  if (c === ch('"')) return to(s, stateInString, Op.BeginLiteral);
  if (c === ch('-')) return to(s, stateNeg, Op.BeginLiteral);
  if (c === ch('0')) return to(s, state0, Op.BeginLiteral);
  if (isDigit(c)) return to(s, state1, Op.BeginLiteral);
  return s.fail(c, 'looking for beginning of value');
}

function stateBeginStringOrEmpty(s: Scanner, c: number): Op {
  if (isSpace(c)) return Op.SkipSpace;
  if (c !== ch('}')) return stateBeginString(s, c);
  s.parseState[s.parseState.length - 1] = Parse.ObjectValue;
  return stateEndValue(s, c);
}

function stateBeginString(s: Scanner, c: number): Op {
  if (isSpace(c)) return Op.SkipSpace;
  if (c === ch('"')) return to(s, stateInString, Op.BeginLiteral);
  return s.fail(c, 'looking for beginning of object key string');
}

function stateEndValue(s: Scanner, c: number): Op {
  const n = s.parseState.length;
  if (n === 0) return to(s, stateEndTop, Op.End);
  if (isSpace(c)) return to(s, stateEndValue, Op.SkipSpace);
  switch (s.parseState[n - 1]) {
    case Parse.ObjectKey:
      if (c !== ch(':')) return s.fail(c, 'after object key');
      s.parseState[n - 1] = Parse.ObjectValue;
      return to(s, stateBeginValue, Op.ObjectKey);
    case Parse.ObjectValue:
      if (c === ch('}')) return s.pop(Op.EndObject);
      if (c !== ch(',')) return s.fail(c, 'after object key:value pair');
      s.parseState[n - 1] = Parse.ObjectKey;
      return to(s, stateBeginString, Op.ObjectValue);
    default:
      if (c === ch(']')) return s.pop(Op.EndArray);
      if (c !== ch(',')) return s.fail(c, 'after array element');
      return to(s, stateBeginValue, Op.ArrayValue);
  }
}

// A Decoder stops at the first byte after a top-level value, whatever it is:
// Go only records the "after top-level value" complaint for a later call.
const stateEndTop: StepFn = () => Op.End;
const stateError: StepFn = () => Op.Error;

function stateInString(s: Scanner, c: number): Op {
  if (c === ch('"')) return to(s, stateEndValue);
  if (c === ch('\\')) return to(s, stateInStringEsc);
  return c < 0x20 ? s.fail(c, 'in string literal') : Op.Continue;
}

function stateInStringEsc(s: Scanner, c: number): Op {
  if ('bfnrt\\/"'.includes(String.fromCharCode(c))) return to(s, stateInString);
  if (c !== ch('u')) return s.fail(c, 'in string escape code');
  s.hexLeft = 4;
  return to(s, stateInStringEscU);
}

function stateInStringEscU(s: Scanner, c: number): Op {
  if (!isHex(c)) return s.fail(c, 'in \\u hexadecimal character escape');
  return --s.hexLeft === 0 ? to(s, stateInString) : Op.Continue;
}

function stateInLiteral(s: Scanner, c: number): Op {
  const expected = s.literal[s.literalPos] ?? '';
  if (c !== ch(expected)) return s.fail(c, `in literal ${s.literal} (expecting '${expected}')`);
  return ++s.literalPos === s.literal.length ? to(s, stateEndValue) : Op.Continue;
}

function stateNeg(s: Scanner, c: number): Op {
  if (c === ch('0')) return to(s, state0);
  if (isDigit(c)) return to(s, state1);
  return s.fail(c, 'in numeric literal');
}

function state1(s: Scanner, c: number): Op {
  return isDigit(c) ? Op.Continue : state0(s, c);
}

function state0(s: Scanner, c: number): Op {
  if (c === ch('.')) return to(s, stateDot);
  if (c === ch('e') || c === ch('E')) return to(s, stateE);
  return stateEndValue(s, c);
}

function stateDot(s: Scanner, c: number): Op {
  return isDigit(c) ? to(s, stateDot0) : s.fail(c, 'after decimal point in numeric literal');
}

function stateDot0(s: Scanner, c: number): Op {
  if (isDigit(c)) return Op.Continue;
  if (c === ch('e') || c === ch('E')) return to(s, stateE);
  return stateEndValue(s, c);
}

function stateE(s: Scanner, c: number): Op {
  return c === ch('+') || c === ch('-') ? to(s, stateESign) : stateESign(s, c);
}

function stateESign(s: Scanner, c: number): Op {
  return isDigit(c) ? to(s, stateE0) : s.fail(c, 'in exponent of numeric literal');
}

function stateE0(s: Scanner, c: number): Op {
  return isDigit(c) ? Op.Continue : stateEndValue(s, c);
}

/** Go's quoteChar: strconv.Quote of the byte taken as a rune, in single quotes. */
function quoteChar(c: number): string {
  if (c === ch("'")) return `'\\''`;
  if (c === ch('"')) return `'"'`;
  const named: Record<number, string> = { 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r' };
  if (named[c] !== undefined) return `'\\${named[c]}'`;
  if (c === ch('\\')) return `'\\\\'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // Bytes >= 0x80 become U+0080..U+00FF; of those Go prints C1 controls,
  // NO-BREAK SPACE and SOFT HYPHEN as \u escapes and the rest as themselves.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

/* ------------------------------------------------------------------------ *
 * Phase 1b: build a tree of the first value while scanning it. Go's Decoder
 * buffers the whole value before decoding, so syntax errors always win over
 * type errors; a tree gives the same ordering.
 * ------------------------------------------------------------------------ */

type JsonNode =
  | { t: 'string'; v: string }
  | { t: 'number'; raw: string }
  | { t: 'bool'; v: boolean }
  | { t: 'null' }
  | { t: 'array'; items: JsonNode[] }
  | { t: 'object'; entries: Array<[string, JsonNode]> };

type Container = { node: Extract<JsonNode, { t: 'array' | 'object' }>; key?: string };

const utf8 = new TextDecoder('utf-8');

class TreeBuilder {
  root: JsonNode | undefined;
  private readonly stack: Container[] = [];
  private literalStart = -1;

  constructor(private readonly bytes: Uint8Array) {}

  /** `i` is the index of the byte that produced `op`. */
  onOp(op: Op, i: number): void {
    // A literal has no end marker: it ends at the first byte that is not part of it.
    if (this.literalStart >= 0 && op !== Op.Continue) {
      this.attach(this.literal(this.literalStart, i));
      this.literalStart = -1;
    }
    if (op === Op.BeginLiteral) this.literalStart = i;
    else if (op === Op.BeginObject) this.stack.push({ node: { t: 'object', entries: [] } });
    else if (op === Op.BeginArray) this.stack.push({ node: { t: 'array', items: [] } });
    else if (op === Op.EndObject || op === Op.EndArray) {
      const done = this.stack.pop();
      if (done) this.attach(done.node);
    }
  }

  private attach(node: JsonNode): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) this.root = node;
    else if (top.node.t === 'array') top.node.items.push(node);
    else if (top.key === undefined) top.key = node.t === 'string' ? node.v : '';
    else {
      top.node.entries.push([top.key, node]);
      top.key = undefined;
    }
  }

  private literal(start: number, end: number): JsonNode {
    const first = this.bytes[start];
    if (first === ch('"')) return { t: 'string', v: unquote(this.bytes.subarray(start, end)) };
    if (first === ch('t') || first === ch('f')) return { t: 'bool', v: first === ch('t') };
    if (first === ch('n')) return { t: 'null' };
    return { t: 'number', raw: utf8.decode(this.bytes.subarray(start, end)) };
  }
}

// An escaped surrogate without its partner; Go decodes each of these to U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Decodes an already validated string literal. JSON.parse accepts exactly what
 * Go's scanner accepted; only unpaired \u surrogates are treated differently.
 * (Raw lone surrogates cannot occur: TextEncoder already turned them into U+FFFD.)
 */
function unquote(literal: Uint8Array): string {
  const value: unknown = JSON.parse(utf8.decode(literal));
  return String(value).replace(LONE_SURROGATE, '\ufffd');
}

type ScanResult = { ok: true; root: JsonNode } | { ok: false; error: string };

/** Mirrors Decoder.readValue: the first value only, trailing bytes never looked at. */
function scanFirstValue(bytes: Uint8Array): ScanResult {
  const scanner = new Scanner();
  const builder = new TreeBuilder(bytes);
  const finished = (): ScanResult =>
    builder.root ? { ok: true, root: builder.root } : { ok: false, error: 'unexpected EOF' };
  for (let i = 0; i < bytes.length; i++) {
    const op = scanner.step(scanner, bytes[i] ?? 0);
    if (op === Op.Error) return { ok: false, error: scanner.error };
    builder.onOp(op, i);
    // After a closing bracket at top level Go stops without reading on; here
    // the following byte (any byte) yields End, which comes to the same.
    if (op === Op.End) return finished();
  }
  // At EOF Go feeds one space: that completes a bare number, nothing else.
  if (scanner.step(scanner, 0x20) === Op.End) {
    builder.onOp(Op.End, bytes.length);
    return finished();
  }
  return { ok: false, error: bytes.some((b) => !isSpace(b)) ? 'unexpected EOF' : 'EOF' };
}

/* ------------------------------------------------------------------------ *
 * Phase 2: decode the tree into the Go type, mirroring decode.go: type
 * mismatches are skipped and only the first one is reported, with Go's
 * errorContext (innermost struct + full json field path; arrays add nothing).
 * ------------------------------------------------------------------------ */

type ErrorContext = { struct: string; path: readonly string[] } | null;

class TypedDecoder {
  firstError: string | undefined;

  typeError(what: string, type: GoType, ctx: ErrorContext): void {
    if (this.firstError !== undefined) return;
    const target = ctx ? `Go struct field ${ctx.struct}.${ctx.path.join('.')}` : 'Go value';
    this.firstError = `json: cannot unmarshal ${what} into ${target} of type ${goTypeString(type)}`;
  }

  value(node: JsonNode, type: GoType, current: unknown, ctx: ErrorContext): unknown {
    if (type.kind === 'pointer') {
      if (node.t === 'null') return undefined;
      return this.value(node, type.elem, current === undefined ? zeroValue(type.elem) : current, ctx);
    }
    if (type.kind === 'any') return this.plain(node, ctx);
    switch (node.t) {
      case 'null':
        // Go sets nil-able kinds to nil and silently ignores null for the rest.
        return type.kind === 'slice' ? null : current;
      case 'object':
        return this.object(node.entries, type, current, ctx);
      case 'array':
        return this.array(node.items, type, current, ctx);
      case 'string':
        return this.primitive('string', node.v, type, current, ctx);
      case 'bool':
        return this.primitive('bool', node.v, type, current, ctx);
      case 'number':
        return this.number(node.raw, type, current, ctx);
    }
  }

  private object(
    entries: Array<[string, JsonNode]>,
    type: GoType,
    current: unknown,
    ctx: ErrorContext,
  ): unknown {
    if (type.kind !== 'struct') {
      this.typeError('object', type, ctx);
      return current;
    }
    const out: Record<string, unknown> = {
      ...(zeroValue(type) as object),
      ...(isRecord(current) ? current : {}),
    };
    for (const [key, child] of entries) {
      const field = findField(type, key);
      if (!field) continue;
      const fieldCtx = { struct: type.name, path: [...(ctx?.path ?? []), field.json] };
      out[field.json] = this.value(child, field.type, out[field.json], fieldCtx);
    }
    return out;
  }

  private array(items: JsonNode[], type: GoType, current: unknown, ctx: ErrorContext): unknown {
    if (type.kind !== 'slice') {
      this.typeError('array', type, ctx);
      return current;
    }
    // Go decodes into the existing elements, so they act as initial values.
    const existing: readonly unknown[] = Array.isArray(current) ? current : [];
    return items.map((item, i) =>
      this.value(item, type.elem, i < existing.length ? existing[i] : zeroValue(type.elem), ctx),
    );
  }

  private primitive(
    kind: 'string' | 'bool',
    v: unknown,
    type: GoType,
    current: unknown,
    ctx: ErrorContext,
  ): unknown {
    if (type.kind === kind) return v;
    this.typeError(kind, type, ctx);
    return current;
  }

  private number(raw: string, type: GoType, current: unknown, ctx: ErrorContext): unknown {
    let parsed: number | undefined;
    if (type.kind === 'int') parsed = parseGoInt64(raw);
    else if (type.kind === 'float') parsed = type.goName === 'float32' ? parseGoFloat32(raw) : Number(raw);
    else {
      this.typeError('number', type, ctx);
      return current;
    }
    if (parsed === undefined || !Number.isFinite(parsed)) {
      this.typeError(`number ${raw}`, type, ctx);
      return current;
    }
    return parsed;
  }

  /**
   * interface{} target: plain JS values. Iterative because Go accepts nesting
   * up to 10000 levels, which would overflow the JS stack if recursed.
   * Children are pushed in reverse so they are visited in document order,
   * which keeps "first error wins" and "last duplicate key wins" like Go.
   */
  private plain(root: JsonNode, ctx: ErrorContext): unknown {
    let result: unknown = null;
    const work: Array<{ node: JsonNode; set: (v: unknown) => void }> = [
      { node: root, set: (v) => (result = v) },
    ];
    for (let job = work.pop(); job; job = work.pop()) {
      const { node, set } = job;
      if (node.t === 'array') {
        const arr: unknown[] = new Array<unknown>(node.items.length).fill(null);
        set(arr);
        for (let i = node.items.length - 1; i >= 0; i--) {
          const item = node.items[i] as JsonNode;
          work.push({ node: item, set: (v) => (arr[i] = v) });
        }
      } else if (node.t === 'object') {
        const obj: Record<string, unknown> = {};
        set(obj);
        // defineProperty so that a "__proto__" key stays an ordinary key.
        const assign = (key: string) => (v: unknown) =>
          Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
        for (let i = node.entries.length - 1; i >= 0; i--) {
          const [key, child] = node.entries[i] as [string, JsonNode];
          work.push({ node: child, set: assign(key) });
        }
      } else if (node.t === 'number') {
        const n = Number(node.raw);
        if (!Number.isFinite(n))
          this.typeError(`number ${node.raw}`, { kind: 'float', goName: 'float64' }, ctx);
        set(Number.isFinite(n) ? n : null);
      } else {
        set(node.t === 'null' ? null : node.v);
      }
    }
    return result;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function goTypeString(type: GoType): string {
  switch (type.kind) {
    case 'string':
    case 'bool':
      return type.kind;
    case 'int':
    case 'float':
      return type.goName;
    case 'struct':
    case 'slice':
      return type.typeString;
    case 'pointer':
      return `*${goTypeString(type.elem)}`;
    case 'any':
      return 'interface {}';
  }
}

/** Go's zero values; nil pointers are undefined, nil slices and interfaces null. */
function zeroValue(type: GoType): unknown {
  switch (type.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'float':
      return 0;
    case 'struct':
      return Object.fromEntries(type.fields.map((f) => [f.json, zeroValue(f.type)]));
    case 'pointer':
      return undefined;
    case 'slice':
    case 'any':
      return null;
  }
}

/** Exact name first, then Go's case folding (first field in order wins). */
function findField(type: StructType, key: string): StructType['fields'][number] | undefined {
  const exact = type.fields.find((f) => f.json === key);
  if (exact) return exact;
  const folded = foldName(key);
  return type.fields.find((f) => foldName(f.json) === folded);
}

/**
 * Go folds each rune to the smallest rune of its Unicode fold orbit. JS has no
 * SimpleFold, so orbits that reach ASCII are listed (KELVIN SIGN, LONG S) and
 * other runes use a lower/upper-case closure, which agrees for common scripts.
 */
function foldName(name: string): string {
  let out = '';
  for (const c of name) out += String.fromCodePoint(foldRune(c));
  return out;
}

function foldRune(c: string): number {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x80) return c.toUpperCase().codePointAt(0) ?? code;
  if (code === 0x212a) return ch('K');
  if (code === 0x17f) return ch('S');
  if (code === 0x130 || code === 0x131) return code; // dotted/dotless I fold only to themselves
  let best = code;
  for (const variant of [c.toLowerCase(), c.toUpperCase()]) {
    const cp = variant.codePointAt(0) ?? code;
    if ([...variant].length === 1 && cp < best) best = cp;
  }
  return best;
}

/* ------------------------------------------------------------------------ *
 * Numbers
 * ------------------------------------------------------------------------ */

const INT64_MIN = -(BigInt(1) << BigInt(63));
const INT64_MAX = (BigInt(1) << BigInt(63)) - BigInt(1);

/** strconv.ParseInt(s, 10, 64): fractions and exponents are errors, not truncations. */
function parseGoInt64(raw: string): number | undefined {
  if (!/^-?\d+$/.test(raw)) return undefined;
  const n = BigInt(raw);
  return n < INT64_MIN || n > INT64_MAX ? undefined : Number(n);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The adjacent float32 of a non-negative float32 (MaxFloat32 + 1 step is Infinity). */
function stepFloat32(a: number, dir: 1 | -1): number {
  f32[0] = a;
  u32[0] = (u32[0] ?? 0) + dir;
  return f32[0] ?? 0;
}

/**
 * strconv.ParseFloat(s, 32): correctly rounded directly to float32. Going via
 * float64 double-rounds only when the float64 lands exactly on a float32
 * midpoint, so that case is settled with exact arithmetic on the literal.
 */
function parseGoFloat32(raw: string): number {
  const d = Number(raw);
  const rounded = Math.fround(d);
  if (rounded === d || !Number.isFinite(d)) return rounded;
  const a = Math.abs(d);
  const fa = Math.abs(rounded);
  const lo = fa < a ? fa : stepFloat32(fa, -1);
  const hi = fa < a ? stepFloat32(fa, 1) : fa;
  const hiForMid = Number.isFinite(hi) ? hi : 2 ** 128;
  if (a !== lo + (hiForMid - lo) / 2) return rounded;
  const cmp = compareDecimalMagnitude(raw, a);
  const pick = cmp > 0 ? hi : cmp < 0 ? lo : fa;
  return d < 0 ? -pick : pick;
}

/** Sign of |decimal literal| - |x|, computed exactly. x must be finite. */
function compareDecimalMagnitude(literal: string, x: number): number {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) throw new Error(`not a JSON number: ${literal}`);
  let left = BigInt((m[1] ?? '') + (m[2] ?? ''));
  const exp10 = Number(m[3] ?? 0) - (m[2]?.length ?? 0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> BigInt(52));
  const fraction = bits & ((BigInt(1) << BigInt(52)) - BigInt(1));
  let right = biased === 0 ? fraction : fraction | (BigInt(1) << BigInt(52));
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  if (exp10 >= 0) left *= BigInt(10) ** BigInt(exp10);
  else right *= BigInt(10) ** BigInt(-exp10);
  if (exp2 >= 0) right <<= BigInt(exp2);
  else left <<= BigInt(-exp2);
  return left === right ? 0 : left > right ? 1 : -1;
}

/**
 * Shortest decimal digits that parse back to the float32 `a` (> 0), chosen as
 * Go's Ryu does: the closest such decimal, exact ties going to the even digit.
 * Returns a = digits × 10^exp.
 */
function shortestFloat32(a: number): { digits: string; exp: number } {
  for (let p = 1; p <= 9; p++) {
    const [mantissa = '', e = '0'] = a.toExponential(p - 1).split('e');
    const n = BigInt(mantissa.replace('.', ''));
    const exp = Number(e) - (p - 1);
    const fits = (c: bigint, x: number): boolean => c > BigInt(0) && parseGoFloat32(`${c}e${x}`) === a;
    if (fits(n, exp)) {
      // toExponential breaks exact ties upwards; Go breaks them to even.
      const tie = compareDecimalMagnitude(`${n * BigInt(10) - BigInt(5)}e${exp - 1}`, a) === 0;
      const useLower = tie && n % BigInt(2) === BigInt(1) && fits(n - BigInt(1), exp);
      return trimZeros(useLower ? n - BigInt(1) : n, exp);
    }
    // The nearest p-digit decimal fell outside the rounding interval on its
    // side; the neighbour on the other side may still be inside.
    const isPow10 = n === BigInt(10) ** BigInt(p - 1);
    const below = isPow10
      ? { c: BigInt(10) ** BigInt(p) - BigInt(1), x: exp - 1 }
      : { c: n - BigInt(1), x: exp };
    if (fits(below.c, below.x)) return trimZeros(below.c, below.x);
    if (fits(n + BigInt(1), exp)) return trimZeros(n + BigInt(1), exp);
  }
  throw new Error(`no float32 representation for ${a}`);
}

function trimZeros(n: bigint, exp: number): { digits: string; exp: number } {
  const s = n.toString();
  const digits = s.replace(/0+$/, '');
  return { digits, exp: exp + (s.length - digits.length) };
}

/**
 * Format a float32 the way Go's encoding/json marshals it: shortest round-trip
 * digits, plain notation for 1e-6 <= |v| < 1e21 (thresholds compared as
 * float32, like Go), otherwise exponent notation without zero padding.
 * Go refuses NaN and ±Inf; so does this function.
 */
export function formatGoFloat32(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f)) throw new RangeError(`json: unsupported value: ${f}`);
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const a = Math.abs(f);
  const { digits, exp } = shortestFloat32(a);
  const useExponent = a < Math.fround(1e-6) || a >= Math.fround(1e21);
  return (f < 0 ? '-' : '') + (useExponent ? exponentForm(digits, exp) : plainForm(digits, exp));
}

function exponentForm(digits: string, exp: number): string {
  const x = exp + digits.length - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return x < 0 ? `${mantissa}e-${-x}` : `${mantissa}e+${String(x).padStart(2, '0')}`;
}

function plainForm(digits: string, exp: number): string {
  if (exp >= 0) return digits + '0'.repeat(exp);
  const point = digits.length + exp;
  return point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
}

/* ------------------------------------------------------------------------ *
 * Entry point
 * ------------------------------------------------------------------------ */

/** Decode `body` exactly as Go's `json.NewDecoder(strings.NewReader(body)).Decode(&v)` does, where v already holds `initial`. */
export function goDecode(body: string, type: GoType, initial?: unknown): GoDecodeResult {
  const scanned = scanFirstValue(new TextEncoder().encode(body));
  if (!scanned.ok) return scanned;
  const decoder = new TypedDecoder();
  const start = initial === undefined ? zeroValue(type) : initial;
  const value = decoder.value(scanned.root, type, start, null);
  return decoder.firstError === undefined ? { ok: true, value } : { ok: false, error: decoder.firstError };
}
