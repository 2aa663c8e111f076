// Value encoding (docs/design.md "Value encoding"), in-process, plus the
// file-level guarantee that a refused value writes nothing.
import assert from "node:assert/strict";
import { join } from "node:path";
import { encodeValue, MAX_DEPTH, ValueEncoder } from "../src/tracker/encode.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { readJsonl, runFiles, runScript, tempDir } from "./_helpers.ts";

function roundTrip(v: unknown): unknown {
  return JSON.parse(JSON.stringify(encodeValue(v)));
}

Deno.test("encodeValue returns plain JSON values untouched (same object, no copy)", () => {
  const v = {
    step: 1,
    metrics: { loss: 0.5, acc: [0.1, 0.2] },
    s: "x",
    b: true,
    n: null,
  };
  assert.equal(encodeValue(v), v);
  const arr = [1, "a", { b: [null] }];
  assert.equal(encodeValue(arr), arr);
  assert.equal(encodeValue(3), 3);
  assert.equal(encodeValue("NaN"), "NaN");
});

Deno.test("encodeValue encodes NaN and ±Infinity as strings, at any depth", () => {
  assert.deepEqual(roundTrip({ a: NaN, b: [Infinity, -Infinity, 1] }), {
    a: "NaN",
    b: ["Infinity", "-Infinity", 1],
  });
  assert.equal(encodeValue(NaN), "NaN");
  assert.equal(encodeValue(-Infinity), "-Infinity");
  // The input is never mutated.
  const v = { x: { y: NaN } };
  encodeValue(v);
  assert.ok(Number.isNaN(v.x.y));
});

Deno.test("encodeValue copies only the path to a converted value", () => {
  const shared = { big: [1, 2, 3] };
  const v = { keep: shared, conv: { x: NaN } };
  const out = encodeValue(v) as Record<string, unknown>;
  assert.notEqual(out, v);
  assert.equal(out.keep, shared);
  assert.deepEqual({ ...(out.conv as object) }, { x: "NaN" });
});

Deno.test("encodeValue converts typed arrays, Map, Set, Date, BigInt, Error", () => {
  assert.deepEqual(roundTrip(new Float32Array([0.5, NaN])), [0.5, "NaN"]);
  assert.deepEqual(roundTrip(new Uint8Array([1, 2])), [1, 2]);
  assert.deepEqual(roundTrip(new BigInt64Array([1n, -2n])), [1, -2]);
  assert.deepEqual(
    roundTrip(new DataView(new Uint8Array([7, 8]).buffer)),
    [7, 8],
  );
  assert.deepEqual(
    roundTrip(new Map<unknown, unknown>([["a", 1], [2, NaN], [true, "x"]])),
    { a: 1, "2": "NaN", true: "x" },
  );
  assert.deepEqual(roundTrip(new Set([1, "a", NaN])), [1, "a", "NaN"]);
  assert.equal(
    encodeValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))),
    "2024-01-02T03:04:05.006Z",
  );
  assert.equal(encodeValue(new Date(NaN)), null);
  assert.equal(encodeValue(42n), 42);
  assert.equal(encodeValue(-(2n ** 53n) + 1n), -(2 ** 53) + 1);
  assert.equal(encodeValue(2n ** 64n), "18446744073709551616");
  assert.equal(encodeValue(-(2n ** 53n)), "-9007199254740992");
  const err = new RangeError("bad lr");
  assert.deepEqual(roundTrip({ e: err }), {
    e: { name: "RangeError", message: "bad lr", stack: err.stack },
  });
  assert.equal(encodeValue(Object(5)), 5);
  assert.equal(encodeValue(Object("s")), "s");
});

Deno.test("encodeValue uses toJSON's result, encoded in turn", () => {
  const v = { m: { toJSON: () => ({ loss: NaN, at: new Date(0) }) } };
  assert.deepEqual(roundTrip(v), {
    m: { loss: "NaN", at: "1970-01-01T00:00:00.000Z" },
  });
  class Temp {
    toJSON(key: string) {
      return `temp@${key}`;
    }
  }
  assert.deepEqual(roundTrip({ t: new Temp(), l: [new Temp()] }), {
    t: "temp@t",
    l: ["temp@0"],
  });
});

Deno.test("encodeValue omits undefined properties and writes undefined array items as null", () => {
  assert.deepEqual(roundTrip({ a: undefined, b: 1 }), { b: 1 });
  assert.deepEqual(roundTrip([undefined, 1]), [null, 1]);
  // In a copied container too.
  assert.deepEqual(roundTrip({ a: undefined, n: NaN }), { n: "NaN" });
  assert.deepEqual(roundTrip([undefined, NaN]), [null, "NaN"]);
  assert.equal(encodeValue(undefined), null);
  // deno-lint-ignore no-sparse-arrays
  assert.deepEqual(roundTrip([1, , NaN]), [1, null, "NaN"]);
});

Deno.test("encodeValue keeps __proto__ and other odd keys losslessly", () => {
  const v = JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "": 3}');
  assert.equal(JSON.stringify(encodeValue(v)), JSON.stringify(v));
  // Also when the object has to be copied (a converted sibling).
  v.n = NaN;
  const out = JSON.parse(JSON.stringify(encodeValue(v)));
  assert.deepEqual(Object.keys(out), ["__proto__", "constructor", "", "n"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, {
    x: 1,
  });
  assert.equal(out.n, "NaN");
  const m = new Map([["__proto__", NaN]]);
  assert.equal(JSON.stringify(encodeValue(m)), '{"__proto__":"NaN"}');
});

Deno.test("encodeValue refuses a circular structure with a TypeError naming the path", () => {
  const v: Record<string, unknown> = { metrics: {} };
  (v.metrics as Record<string, unknown>).self = v.metrics;
  assert.throws(
    () => encodeValue(v),
    (e: unknown) =>
      e instanceof TypeError && /value\.metrics\.self/.test(e.message) &&
      /circular/.test(e.message),
  );
  const a: unknown[] = [1];
  a.push({ back: a });
  assert.throws(
    () => encodeValue({ list: a }),
    /value\.list\[1\]\.back: circular structure/,
  );
  const m = new Map<string, unknown>();
  m.set("me", m);
  assert.throws(() => encodeValue({ m }), /value\.m\.me: circular/);
  // The same object twice (no cycle) is fine.
  const shared = { x: 1 };
  assert.deepEqual(roundTrip({ a: shared, b: shared }), {
    a: { x: 1 },
    b: { x: 1 },
  });
});

Deno.test("encodeValue refuses functions and symbols, naming the path", () => {
  assert.throws(
    () => encodeValue({ a: [1, { f() {} }] }),
    (e: unknown) =>
      e instanceof TypeError && e.message.includes("value.a[1].f") &&
      e.message.includes("function"),
  );
  assert.throws(() => encodeValue({ s: Symbol("x") }), /value\.s: symbols/);
  assert.throws(() => encodeValue(() => 1), /cannot encode value: functions/);
  assert.throws(
    () => encodeValue({ "odd key": { f: Symbol() } }),
    /value\["odd key"\]\.f/,
  );
});

Deno.test("encodeValue turns a throwing getter into a TypeError naming the path", () => {
  const v = {
    metrics: {
      get loss(): number {
        throw new Error("not computed");
      },
    },
  };
  assert.throws(
    () => encodeValue(v),
    (e: unknown) =>
      e instanceof TypeError &&
      e.message.includes("value.metrics.loss") &&
      e.message.includes("not computed") &&
      (e.cause as Error).message === "not computed",
  );
  assert.throws(
    () =>
      encodeValue({
        t: {
          toJSON() {
            throw new Error("no json");
          },
        },
      }),
    /value\.t: toJSON\(\) threw Error: no json/,
  );
});

Deno.test(`encodeValue refuses nesting deeper than MAX_DEPTH (${MAX_DEPTH}) without a stack overflow`, () => {
  const nest = (n: number) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };
  assert.doesNotThrow(() => encodeValue(nest(MAX_DEPTH)));
  assert.throws(
    () => encodeValue(nest(MAX_DEPTH + 1)),
    (e: unknown) => e instanceof TypeError && /deeper than/.test(e.message),
  );
  // Far deeper than the stack: still a TypeError, never a RangeError.
  assert.throws(() => encodeValue(nest(200_000)), TypeError);
  let arr: unknown = [];
  for (let i = 0; i < 200_000; i++) arr = [arr];
  assert.throws(() => encodeValue(arr), TypeError);
});

Deno.test("encodeValue walks Proxy objects like objects", () => {
  const target = { loss: NaN, acc: 0.5 };
  const p = new Proxy(target, {});
  assert.deepEqual(roundTrip({ p }), { p: { loss: "NaN", acc: 0.5 } });
  const hostile = new Proxy({}, {
    ownKeys() {
      throw new Error("trap");
    },
  });
  assert.throws(() => encodeValue({ h: hostile }), /value\.h.*trap/);
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  assert.throws(() => encodeValue({ r: proxy }), TypeError);
});

Deno.test("encodeValue keeps lone surrogates (JSON escapes them)", () => {
  const v = { s: "a\uD800b", t: "\uDC00" };
  const json = JSON.stringify(encodeValue(v));
  assert.ok(json.includes("\\ud800"));
  assert.deepEqual(JSON.parse(json), v);
});

Deno.test("the encoder's numeric leaves equal SummaryBuilder.add on the encoded value", () => {
  const values: unknown[] = [
    { step: 1, metrics: { loss: 0.5, acc: NaN }, tags: ["a", 1] },
    { step: 2, metrics: { loss: Infinity }, hist: [[1, 2], [3]] },
    { m: new Map<unknown, unknown>([["k", 1], [2, [3, "NaN"]]]) },
    {
      s: new Set([1, 2]),
      f: new Float64Array([1, NaN]),
      b: 7n,
      big: 2n ** 60n,
    },
    { d: new Date(0), e: new Error("x"), t: { toJSON: () => ({ z: 1 }) } },
    [1, "Infinity", "-Infinity", true, null, { x: -0 }],
    JSON.parse('{"__proto__": {"q": 4}}'),
    5,
    "NaN",
  ];
  const enc = new ValueEncoder("value");
  const viaLeaves = new SummaryBuilder();
  const viaWalk = new SummaryBuilder();
  values.forEach((v, i) => {
    const encoded = enc.encode(v);
    for (let k = 0; k < enc.leafCount; k++) {
      viaLeaves.addNumber(enc.leafPaths[k], enc.leafValues[k], i);
    }
    viaWalk.add(JSON.parse(JSON.stringify(encoded ?? null)), i);
  });
  // Compared as written (JSON): -0 and 0 are the same number there.
  assert.deepEqual(
    JSON.parse(JSON.stringify(viaLeaves.toJSON())),
    JSON.parse(JSON.stringify(viaWalk.toJSON())),
  );
});

Deno.test("the encoder names every path right once its path cache is full", () => {
  const enc = new ValueEncoder("value");
  for (let i = 0; i < 20_000; i++) {
    enc.encode({ [`k${i}`]: i });
    assert.equal(enc.leafPaths[0], `value.k${i}`);
  }
});

Deno.test("track() with a circular value throws a TypeError and writes nothing", async () => {
  const cwd = tempDir();
  const out = await runScript(
    cwd,
    `import { Experiment } from ${
      JSON.stringify(
        new URL("../src/tracker/experiment.ts", import.meta.url).href,
      )
    };
const exp = new Experiment("circ", { git: false });
exp.track({ ok: 1 });
const v = { metrics: {} }; v.metrics.self = v.metrics;
try { exp.track(v); } catch (e) { console.log(e.name + ": " + e.message); }
try { exp.track({ f: () => 1 }, { note: "fn" }); } catch (e) { console.log(e.name); }
exp.track({ ok: 2 });
exp.end();`,
    ["--allow-write=.exprag"],
  );
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^TypeError: cannot encode value\.metrics\.self/);
  assert.match(out.stdout, /\nTypeError\n/);
  const [file] = runFiles(join(cwd, ".exprag"));
  const recs = readJsonl(file);
  assert.deepEqual(recs.map((r) => r.kind), [
    "run_start",
    "track",
    "track",
    "run_end",
  ]);
  assert.deepEqual(recs.slice(1, 3).map((r) => r.value), [{ ok: 1 }, {
    ok: 2,
  }]);
  const end = recs[3].value as Record<string, unknown>;
  assert.equal(end.track_count, 2);
  assert.equal(
    (end.summary as Record<string, { count: number }>)["value.ok"].count,
    2,
  );
});
