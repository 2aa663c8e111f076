// The tracker writes a track value's JSON with ValueEncoder.json(): after a
// narrow value as JSON.stringify(encode(value)), the way every earlier
// version did; after a value with a wide object (more than 32 keys) as text
// built during the encoding walk. Both must give the very bytes of
// JSON.stringify(encodeValue(value)) (the value walk, unchanged, is the
// reference) and the same numeric leaves, on the hostile corpus of
// hostile_values_test.ts, on random values, inside wide objects, and in the
// run file itself.
import {
  deepStrictEqual as deepEqual,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { join } from "node:path";
import { encodeValue, ValueEncoder } from "../src/tracker/encode.ts";
import { Experiment } from "../src/tracker/experiment.ts";
import { tempDir } from "./_helpers.ts";
import { Rng, suiteSeed } from "./_faults.ts";
import { CASES, randomValue } from "./_hostile_values.ts";

/** A wide object: 40 numeric keys (built by assignment: dictionary mode). */
function wide(seed: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let k = 0; k < 40; k++) o[`w${k}`] = seed + k / 7;
  return o;
}

/** An encoder's last leaves as one string (fast to compare, even 1M). */
function leavesOf(enc: ValueEncoder): string {
  let out = "";
  for (let i = 0; i < enc.leafCount; i++) {
    const n = enc.leafValues[i];
    out += `${enc.leafPaths[i]}=${Object.is(n, -0) ? "-0" : n}\n`;
  }
  return out;
}

/** What the value walk gives: the text (or the error) and the leaves. */
function reference(v: unknown): {
  text?: string;
  error?: string;
  leaves: string;
} {
  const enc = new ValueEncoder("value");
  let encoded: unknown;
  try {
    encoded = enc.encode(v);
  } catch (e) {
    return { error: (e as Error).message, leaves: "" };
  }
  const leaves = leavesOf(enc);
  try {
    return { text: JSON.stringify(encoded), leaves };
  } catch (e) {
    return { error: `cannot encode value: ${(e as Error).message}`, leaves };
  }
}

/** json() of `v` by `enc`, in the same form as {@linkcode reference}. */
function viaJson(enc: ValueEncoder, v: unknown): ReturnType<typeof reference> {
  let text: string | undefined;
  try {
    text = enc.json(v);
  } catch (e) {
    ok(e instanceof TypeError, `a TypeError: ${e}`);
    equal(enc.leafCount, 0, "no leaves from a refused value");
    return { error: e.message, leaves: "" };
  }
  return { text, leaves: leavesOf(enc) };
}

/** Compares json() narrow, json() wide, and the reference, for one value. */
function compare(make: () => unknown, what: string, encoders: {
  narrow: ValueEncoder;
  wide: ValueEncoder;
}): void {
  const v = make();
  const ref = reference(v);
  // narrow: the previous value held no wide object
  encoders.narrow.json(1);
  deepEqual(viaJson(encoders.narrow, v), ref, `${what} (narrow)`);
  // wide: the previous value held one, so objects are written as text
  encoders.wide.json(wide(0));
  deepEqual(viaJson(encoders.wide, v), ref, `${what} (after a wide one)`);
}

Deno.test("json() writes the bytes and leaves of JSON.stringify(encodeValue(v)) for every hostile value, after narrow and after wide values", () => {
  const encoders = {
    narrow: new ValueEncoder("value"),
    wide: new ValueEncoder("value"),
  };
  let refused = 0;
  for (const c of CASES) {
    compare(c.value, c.name, encoders);
    // the three huge values (50 MB string, 100,000 keys, 1M numbers): once
    if (/50 MB|100,000|million/.test(c.name)) continue;
    // inside a wide object: the text walk runs on the container itself
    compare(
      () => {
        const x = c.value();
        return { ...wide(1), x, y: [x] };
      },
      `${c.name}, in a wide object`,
      {
        narrow: new ValueEncoder("value"),
        wide: encoders.wide,
      },
    );
    if (reference(c.value()).error !== undefined) refused++;
  }
  ok(CASES.length >= 40 && refused >= 15, `${refused} of ${CASES.length}`);
});

Deno.test("json() equals JSON.stringify(encodeValue(v)) on random values with wide objects among them", () => {
  const seed = suiteSeed(0x5eed_0012);
  const r = new Rng(seed);
  const enc = new ValueEncoder("value");
  const odd = [NaN, Infinity, -0, 2n ** 70n, 5n, undefined, new Date(0)];
  for (let i = 0; i < 600; i++) {
    const [v] = randomValue(r, r.int(0, 5));
    let value: unknown = v;
    if (r.chance(0.5)) {
      // a wide object holding the random value, some odd leaves and arrays
      const w = wide(i);
      for (let k = 0; k < r.int(0, 8); k++) w[`o${k}`] = r.pick(odd);
      w.v = v;
      w.list = [v, r.pick(odd), w.w0];
      value = r.chance(0.5) ? w : { step: i, metrics: w };
    }
    const ref = reference(value);
    deepEqual(viaJson(enc, value), ref, `value ${i} (seed ${seed})`);
    if (ref.text !== undefined) {
      equal(JSON.stringify(encodeValue(value)), ref.text);
    }
  }
});

Deno.test("track() writes wide records byte for byte as JSON.stringify(encodeValue(v))", () => {
  const dir = join(tempDir("exprag-encode-json-"), ".exprag");
  const exp = new Experiment("wide", { git: false, dir });
  const values: unknown[] = [];
  for (let i = 0; i < 50; i++) {
    const metrics: Record<string, unknown> = {};
    for (let k = 0; k < 200; k++) {
      metrics[`layer_${k}.grad`] = (i + 1) / (k + 3);
    }
    metrics["layer_7.grad"] = i % 5 === 0 ? NaN : -0;
    metrics.hist = new Float32Array([i, 0.1]);
    metrics.when = new Date(i * 1000);
    metrics.note = "é\u2028\ud800";
    values.push(i % 10 === 9 ? { small: i } : { step: i, metrics });
  }
  for (const v of values) exp.track(v);
  exp.end();
  const lines = Deno.readTextFileSync(exp.path).split("\n").filter((l) =>
    l.includes('"kind":"track"')
  );
  equal(lines.length, values.length);
  for (const [i, line] of lines.entries()) {
    const at = line.indexOf(',"value":') + ',"value":'.length;
    equal(line.slice(at, -1), JSON.stringify(encodeValue(values[i])), `${i}`);
  }
});

Deno.test("a wide value's getter is read once: the recorded value is the one the summary has", () => {
  const enc = new ValueEncoder("value");
  let reads = 0;
  const v = wide(0);
  Object.defineProperty(v, "g", {
    enumerable: true,
    get: () => ++reads,
  });
  enc.json(v); // now wide
  reads = 0;
  const text = enc.json(v)!;
  equal(reads, 1);
  equal((JSON.parse(text) as { g: number }).g, 1);
  const at = enc.leafPaths.indexOf("value.g");
  equal(enc.leafValues[at], 1);
});

Deno.test("json() names every path right once its caches are full, for wide values too", () => {
  const enc = new ValueEncoder("value");
  for (let i = 0; i < 3_000; i++) {
    const v = wide(i);
    v[`k${i}`] = i;
    const text = enc.json(v)!;
    ok(text.endsWith(`,"k${i}":${i}}`));
    equal(enc.leafPaths[40], `value.k${i}`);
    equal(enc.leafCount, 41);
  }
});
