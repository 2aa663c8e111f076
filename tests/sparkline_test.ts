// The sparkline of `show`, `compare` and `tail`: levels, NaN and infinities
// shown distinctly, flat series, one value, bucketing to the width.
import { strictEqual as equal } from "node:assert/strict";
import { sparkline } from "../src/cli/sparkline.ts";

Deno.test("sparkline: one character per value from the lowest to the highest level", () => {
  equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█");
  equal(sparkline([7, 0]), "█▁");
  equal(sparkline([]), "");
});

Deno.test("sparkline: NaN is · and infinities are ↑ ↓, apart from the levels", () => {
  equal(sparkline([1, NaN, 2]), "▁·█");
  equal(sparkline([1, Infinity, -Infinity, 2]), "▁↑↓█");
  equal(sparkline([NaN, NaN]), "··");
});

Deno.test("sparkline: a flat series and a single value are mid-level", () => {
  equal(sparkline([3, 3, 3]), "▄▄▄");
  equal(sparkline([42]), "▄");
  equal(sparkline([5, NaN, 5]), "▄·▄");
});

Deno.test("sparkline: more values than the width are bucket-averaged, a NaN in a bucket stays visible", () => {
  const ramp = Array.from({ length: 100 }, (_, i) => i);
  const s = sparkline(ramp, 10);
  equal(s.length, 10);
  equal(s, "▁▂▃▃▄▅▆▆▇█"); // bucket means 4.5, 14.5, …, 94.5
  equal(sparkline(ramp).length, 24); // the default width
  // averaging: [0, 10] and [0, 10] → 5 and 5: flat
  equal(sparkline([0, 10, 0, 10], 2), "▄▄");
  const withNaN = [...ramp];
  withNaN[55] = NaN;
  equal(sparkline(withNaN, 10)[5], "·");
  equal(sparkline([1, 2, 3], 0), "▄"); // at least one character
});
