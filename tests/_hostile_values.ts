// The hostile values of tests/hostile_values_test.ts and a generator of
// random JSON values, shared with tests/encode_json_test.ts (which compares
// the tracker's two ways of writing a value on them).
import assert from "node:assert/strict";
import type { Rng } from "./_faults.ts";

/** A hostile value and what must come of it. */
export interface Case {
  name: string;
  value: () => unknown;
  /** The recorded value (deepStrictEqual after reading back)... */
  expect?: unknown;
  /** ...or a check of the recorded value... */
  check?: (read: unknown) => void;
  /** ...or a refusal: a TypeError whose message matches. */
  refuse?: RegExp;
}

const MB50 = 50 * 1024 * 1024;
export const nest = (n: number, wrap: (v: unknown) => unknown) => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = wrap(v);
  return v;
};
const jsonProto = () =>
  JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<
    string,
    unknown
  >;

export const CASES: Case[] = [
  // ---- numbers
  { name: "NaN", value: () => ({ loss: NaN }), expect: { loss: "NaN" } },
  {
    name: "±Infinity",
    value: () => ({ a: Infinity, b: -Infinity }),
    expect: { a: "Infinity", b: "-Infinity" },
  },
  {
    name: "NaN and infinities inside arrays",
    value: () => [1, NaN, [Infinity, -Infinity]],
    expect: [1, "NaN", ["Infinity", "-Infinity"]],
  },
  { name: "negative zero (JSON has no -0)", value: () => -0, expect: 0 },
  {
    name: "extreme doubles",
    value: () => ({
      max: Number.MAX_VALUE,
      min: Number.MIN_VALUE,
      unsafe: 2 ** 53 + 2,
      sum: 0.1 + 0.2,
      tiny: -5e-324,
    }),
    expect: {
      max: Number.MAX_VALUE,
      min: Number.MIN_VALUE,
      unsafe: 2 ** 53 + 2,
      sum: 0.30000000000000004,
      tiny: -5e-324,
    },
  },
  {
    name: "BigInt, safe and unsafe, at the boundary",
    value: () => ({
      small: 42n,
      edge: 9007199254740991n,
      over: 9007199254740992n,
      huge: 2n ** 100n,
      neg: -(2n ** 64n),
    }),
    expect: {
      small: 42,
      edge: 9007199254740991,
      over: "9007199254740992",
      huge: "1267650600228229401496703205376",
      neg: "-18446744073709551616",
    },
  },
  {
    name: "boxed primitives",
    value: () => ({
      n: new Number(NaN),
      s: new String("boxed"),
      b: new Boolean(false),
      g: Object(7n),
    }),
    expect: { n: "NaN", s: "boxed", b: false, g: 7 },
  },
  // ---- typed arrays and buffers
  {
    name: "Float64Array with NaN and -Infinity",
    value: () => new Float64Array([1.5, NaN, -Infinity]),
    expect: [1.5, "NaN", "-Infinity"],
  },
  {
    name: "Float32Array (its exact float values)",
    value: () => ({ f: new Float32Array([0.1, 1e39]) }),
    expect: { f: [Math.fround(0.1), "Infinity"] },
  },
  {
    name: "integer typed arrays",
    value: () => ({
      u8: new Uint8Array([0, 255]),
      c: new Uint8ClampedArray([300]),
      i32: new Int32Array([-2147483648]),
      u32: new Uint32Array([4294967295]),
    }),
    expect: { u8: [0, 255], c: [255], i32: [-2147483648], u32: [4294967295] },
  },
  {
    name: "BigInt64Array",
    value: () => new BigInt64Array([1n, -(2n ** 63n)]),
    expect: [1, "-9223372036854775808"],
  },
  {
    name: "a view on part of a buffer, DataView, ArrayBuffer",
    value: () => {
      const buf = new Uint8Array([9, 8, 7, 6, 5]).buffer;
      return {
        view: new Uint8Array(buf, 1, 3),
        dv: new DataView(buf, 3, 2),
        ab: buf,
      };
    },
    expect: { view: [8, 7, 6], dv: [6, 5], ab: [9, 8, 7, 6, 5] },
  },
  // ---- strings
  {
    name: "lone high surrogate",
    value: () => ({ s: "\ud800" }),
    expect: { s: "\ud800" },
  },
  {
    name: "lone low surrogate inside text, reversed pair",
    value: () => ({ s: "a\udfffb", r: "\udc00\ud800" }),
    expect: { s: "a\udfffb", r: "\udc00\ud800" },
  },
  {
    name: "control characters, NUL, line and paragraph separators",
    value: () => ({ s: "\u0000\u0001\n\r\t\u2028\u2029\u007f\u009b[31m" }),
    expect: { s: "\u0000\u0001\n\r\t\u2028\u2029\u007f\u009b[31m" },
  },
  {
    name: "text that looks like records (newlines inside a string)",
    value: () => ({
      s: '{"kind":"run_end","value":{}}\n{"kind":"track"}\r\n',
    }),
    expect: { s: '{"kind":"run_end","value":{}}\n{"kind":"track"}\r\n' },
  },
  {
    name: "a leading BOM and emoji with modifiers",
    value: () => "\ufeff👩🏽‍🚀 é ẞ",
    expect: "\ufeff👩🏽‍🚀 é ẞ",
  },
  {
    name: 'the strings "NaN" and "Infinity" stay strings',
    value: () => ["NaN", "Infinity", "nan"],
    expect: ["NaN", "Infinity", "nan"],
  },
  {
    name: "a 50 MB string (multi-byte characters at both ends)",
    value: () => ({ blob: "é" + "x".repeat(MB50) + "😀" }),
    check: (read) => {
      const s = (read as { blob: string }).blob;
      assert.equal(s.length, MB50 + 3);
      assert.ok(s.startsWith("éxxx") && s.endsWith("xxx😀"));
      assert.equal(s.indexOf("y"), -1);
    },
  },
  // ---- keys
  {
    name: "__proto__ as an own key (from JSON.parse)",
    value: jsonProto,
    check: (read) => {
      const r = read as Record<string, unknown>;
      assert.deepEqual(Object.keys(r), ["__proto__", "ok"]);
      assert.deepEqual(Object.getOwnPropertyDescriptor(r, "__proto__")?.value, {
        polluted: true,
      });
      assert.equal(Object.getPrototypeOf(r), Object.prototype);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    },
  },
  {
    name: "__proto__ as an own key next to a converted value (copied object)",
    value: () => Object.assign(jsonProto(), { n: NaN }),
    check: (read) => {
      const r = read as Record<string, unknown>;
      assert.deepEqual(Object.keys(r), ["__proto__", "ok", "n"]);
      assert.equal(r.n, "NaN");
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    },
  },
  {
    name: "constructor, prototype, toString, hasOwnProperty keys",
    value: () => ({
      constructor: 1,
      prototype: { x: 2 },
      toString: "s",
      hasOwnProperty: null,
      valueOf: [3],
    }),
    expect: {
      constructor: 1,
      prototype: { x: 2 },
      toString: "s",
      hasOwnProperty: null,
      valueOf: [3],
    },
  },
  {
    name: "keys containing . and [] (colliding summary paths)",
    value: () => ({ "a.b": 1, a: { b: 2 }, "[]": 3, "x[0]": 4, "..": 5 }),
    expect: { "a.b": 1, a: { b: 2 }, "[]": 3, "x[0]": 4, "..": 5 },
  },
  {
    name: "empty, blank and control-character keys",
    value: () => ({ "": 1, " ": 2, "\n": 3, "\u0000": 4, "\ud800": 5 }),
    expect: { "": 1, " ": 2, "\n": 3, "\u0000": 4, "\ud800": 5 },
  },
  {
    name: "a 1 MB key",
    value: () => ({ ["k".repeat(1 << 20)]: 1 }),
    expect: { ["k".repeat(1 << 20)]: 1 },
  },
  {
    name: "integer-like keys",
    value: () => ({ b: 1, 2: 2, "1": 3, "01": 4, "-1": 5, "4294967295": 6 }),
    expect: { b: 1, 2: 2, "1": 3, "01": 4, "-1": 5, "4294967295": 6 },
  },
  {
    name: "100,000 keys",
    value: () =>
      Object.fromEntries(
        Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]),
      ),
    check: (read) => {
      const r = read as Record<string, number>;
      assert.equal(Object.keys(r).length, 100_000);
      assert.equal(r.k99999, 99999);
    },
  },
  // ---- structures
  {
    name: "a circular object",
    value: () => {
      const m: Record<string, unknown> = { loss: 1 };
      m.self = m;
      return { metrics: m };
    },
    refuse: /^cannot encode value\.metrics\.self: circular structure/,
  },
  {
    name: "a cycle through an array",
    value: () => {
      const a: unknown[] = [];
      a.push({ back: a });
      return { list: a };
    },
    refuse: /value\.list\[0\]\.back: circular structure/,
  },
  {
    name: "an indirect cycle a → b → a",
    value: () => {
      const a: Record<string, unknown> = {}, b: Record<string, unknown> = { a };
      a.b = b;
      return { a };
    },
    refuse: /value\.a\.b\.a: circular structure/,
  },
  {
    name: "a cycle through a Map",
    value: () => {
      const m = new Map<string, unknown>();
      m.set("me", m);
      return { m };
    },
    refuse: /value\.m\.me: circular/,
  },
  {
    name: "the same object twice (no cycle)",
    value: () => {
      const o = { x: NaN };
      return { a: o, b: o, c: [o, o] };
    },
    expect: {
      a: { x: "NaN" },
      b: { x: "NaN" },
      c: [{ x: "NaN" }, { x: "NaN" }],
    },
  },
  {
    name: "10,000 levels of arrays",
    value: () => nest(10_000, (v) => [v]),
    refuse: /^cannot encode value\[0\].*nested deeper than 200 levels/,
  },
  {
    name: "10,000 levels of objects",
    value: () => nest(10_000, (v) => ({ a: v })),
    refuse: /^cannot encode value\.a\.a.*nested deeper than 200 levels/,
  },
  {
    name: "10,000 levels of Maps",
    value: () => nest(10_000, (v) => new Map([["m", v]])),
    refuse: /nested deeper than 200 levels/,
  },
  {
    name: "200 levels (the limit) round-trip",
    value: () => nest(100, (v) => ({ a: [v] })),
    expect: nest(100, (v) => ({ a: [v] })),
  },
  {
    name: "sparse arrays, undefined items and properties",
    // deno-lint-ignore no-sparse-arrays
    value: () => ({ s: [1, , 3], u: [undefined], gone: undefined, k: 1 }),
    expect: { s: [1, null, 3], u: [null], k: 1 },
  },
  { name: "top-level undefined", value: () => undefined, expect: null },
  { name: "top-level null", value: () => null, expect: null },
  {
    name: "a million numbers",
    value: () => Array.from({ length: 1_000_000 }, (_, i) => i / 7),
    check: (read) => {
      const r = read as number[];
      assert.equal(r.length, 1_000_000);
      assert.equal(r[999_999], 999_999 / 7);
    },
  },
  // ---- getters and proxies
  {
    name: "a getter that throws",
    value: () => ({
      metrics: {
        acc: 1,
        get loss(): number {
          throw new Error("not computed");
        },
      },
    }),
    refuse: /^cannot encode value\.metrics\.loss: .*not computed/,
  },
  {
    name: "a getter's value is recorded",
    value: () => ({
      metrics: {
        get loss() {
          return NaN;
        },
        get acc() {
          return 0.5;
        },
      },
    }),
    expect: { metrics: { loss: "NaN", acc: 0.5 } },
  },
  {
    name: "a Proxy over a plain object",
    value: () => ({ p: new Proxy({ loss: NaN, acc: 0.5 }, {}) }),
    expect: { p: { loss: "NaN", acc: 0.5 } },
  },
  {
    name: "a Proxy over an array",
    value: () => new Proxy([1, Infinity], {}),
    expect: [1, "Infinity"],
  },
  {
    name: "a Proxy whose get trap throws",
    value: () => ({
      h: new Proxy({ a: 1 }, {
        get() {
          throw new Error("get trap");
        },
      }),
    }),
    refuse: /value\.h.*get trap/,
  },
  {
    name: "a Proxy whose ownKeys trap throws",
    value: () => ({
      h: new Proxy({}, {
        ownKeys() {
          throw new Error("ownKeys trap");
        },
      }),
    }),
    refuse: /value\.h.*ownKeys trap/,
  },
  {
    name: "a Proxy whose getPrototypeOf trap throws",
    value: () => ({
      h: new Proxy({}, {
        getPrototypeOf() {
          throw new Error("proto trap");
        },
      }),
    }),
    refuse: /value\.h.*proto trap/,
  },
  {
    name: "a Proxy whose ownKeys lies (duplicate keys)",
    value: () => ({
      h: new Proxy({}, {
        ownKeys: () => ["a", "a"],
      }),
    }),
    refuse: /value\.h/,
  },
  {
    name: "a revoked Proxy",
    value: () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return { r: proxy };
    },
    refuse: /value\.r/,
  },
  // ---- objects with conversions
  {
    name: "Map with non-string keys and NaN values",
    value: () => new Map<unknown, unknown>([[1, NaN], [true, "t"], ["k", 2n]]),
    expect: { "1": "NaN", true: "t", k: 2 },
  },
  {
    name: "Map whose key cannot become a string",
    value: () => new Map([[Object.create(null), 1]]),
    refuse: /Map key cannot be converted/,
  },
  {
    name: "Set of mixed values",
    value: () => new Set([1, "a", NaN, null]),
    expect: [1, "a", "NaN", null],
  },
  {
    name: "Date, and an invalid Date (toJSON gives null)",
    value: () => ({ d: new Date(0), bad: new Date(NaN) }),
    expect: { d: "1970-01-01T00:00:00.000Z", bad: null },
  },
  {
    name: "Error with a cause",
    value: () => ({ e: new RangeError("boom", { cause: "x" }) }),
    check: (read) => {
      const e = (read as { e: Record<string, unknown> }).e;
      assert.deepEqual(Object.keys(e), ["name", "message", "stack"]);
      assert.equal(e.name, "RangeError");
      assert.equal(e.message, "boom");
      assert.match(e.stack as string, /RangeError: boom/);
    },
  },
  {
    name: "toJSON returning undefined, and a NaN",
    value: () => ({ a: { toJSON: () => undefined }, b: { toJSON: () => NaN } }),
    expect: { b: "NaN" },
  },
  {
    name: "toJSON that throws",
    value: () => ({
      t: {
        toJSON() {
          throw new Error("no json");
        },
      },
    }),
    refuse: /^cannot encode value\.t: toJSON\(\) threw Error: no json/,
  },
  {
    name: "toJSON returning its own object (endless conversion)",
    value: () => {
      const o = {
        toJSON(): unknown {
          return o;
        },
      };
      return { o };
    },
    refuse: /value\.o/,
  },
  {
    name: "a function",
    value: () => ({ f: () => 1 }),
    refuse: /^cannot encode value\.f: functions cannot be recorded/,
  },
  {
    name: "a symbol value",
    value: () => ({ s: Symbol("x") }),
    refuse: /^cannot encode value\.s: symbols cannot be recorded/,
  },
  {
    name: "a null-prototype object and a class instance",
    value: () => {
      const o = Object.create(null);
      o.x = NaN;
      class P {
        #hidden = 1;
        shown = 2;
        get hidden() {
          return this.#hidden;
        }
      }
      return { o, p: new P() };
    },
    expect: { o: { x: "NaN" }, p: { shown: 2 } },
  },
];
// ------------------------------------------------------------ random values

const KEYS = [
  "a",
  "loss",
  "__proto__",
  "constructor",
  "toString",
  "a.b",
  "[]",
  "",
  " ",
  "é",
  "\u2028",
  "\ud800",
  "0",
  "10",
  "NaN",
];

function randomString(r: Rng): string {
  const n = r.int(0, 12);
  let s = "";
  for (let i = 0; i < n; i++) {
    const k = r.next();
    s += k < 0.5
      ? String.fromCharCode(r.int(32, 126))
      : k < 0.6
      ? String.fromCharCode(r.int(0, 31))
      : k < 0.7
      ? String.fromCharCode(r.int(0xd800, 0xdfff)) // lone surrogates too
      : k < 0.8
      ? String.fromCodePoint(r.int(0x1f600, 0x1f64f))
      : String.fromCharCode(r.int(0x80, 0xffff));
  }
  return s;
}

/** A random value and what the reader must give back for it. */
export function randomValue(r: Rng, depth: number): [unknown, unknown] {
  const k = r.next();
  if (depth > 0 && k < 0.2) {
    const n = r.int(0, 5);
    const v: unknown[] = [], e: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const [x, y] = randomValue(r, depth - 1);
      v.push(x);
      e.push(y);
    }
    return [v, e];
  }
  if (depth > 0 && k < 0.4) {
    const n = r.int(0, 5);
    const v: Record<string, unknown> = {}, e: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = r.chance(0.6) ? r.pick(KEYS) : randomString(r);
      const [x, y] = randomValue(r, depth - 1);
      // own data properties, even for "__proto__"
      const d = {
        value: 0,
        enumerable: true,
        writable: true,
        configurable: true,
      };
      Object.defineProperty(v, key, { ...d, value: x });
      Object.defineProperty(e, key, { ...d, value: y });
    }
    return [v, e];
  }
  if (k < 0.5) return [null, null];
  if (k < 0.55) {
    const b = r.chance(0.5);
    return [b, b];
  }
  if (k < 0.7) {
    const s = r.chance(0.1)
      ? r.pick(["NaN", "Infinity", "-Infinity"])
      : randomString(r);
    return [s, s];
  }
  const special = r.next();
  if (special < 0.05) return [NaN, "NaN"];
  if (special < 0.08) return [Infinity, "Infinity"];
  if (special < 0.11) return [-Infinity, "-Infinity"];
  if (special < 0.14) return [-0, 0];
  const x = r.pick([
    () => r.int(-1000, 1000),
    () => (r.next() - 0.5) * 10 ** r.int(-300, 300),
    () => Number.MAX_SAFE_INTEGER - r.int(0, 3),
    () => r.next(),
  ])();
  return [x, Object.is(x, -0) ? 0 : x];
}
