// Curves' series: several paths read in one pass give exactly what a scan
// per path gives (numbers, NaN and infinities, lists, quoted keys).
import { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  pathSeries,
  pathsSeries,
  SEPARATE_SCANS_MAX,
} from "../src/query/series.ts";
import { formatRecord } from "../src/record.ts";
import { tempDir } from "./_helpers.ts";

Deno.test("series: many paths in one pass equal one scan per path", () => {
  const file = join(tempDir("exprag-series-"), "r.jsonl");
  const id = "3f1c2b9e-0000-4000-8000-000000000001";
  const lines = [
    formatRecord({
      run_id: id,
      kind: "run_start",
      created_at: "2026-12-02T10:00:00.000Z",
      elapsed_ms: 0,
      value: {},
    }),
  ];
  for (let i = 0; i < 40; i++) {
    const value = {
      step: i,
      metrics: { loss: i === 7 ? "NaN" : 1 / (i + 1), acc: i / 40 },
      "val.acc": i % 3,
      hist: [{ l: i }, { l: -i }],
      big: i === 9 ? "Infinity" : i,
    };
    lines.push(formatRecord({
      run_id: id,
      kind: "track",
      created_at: "2026-12-02T10:00:01.000Z",
      elapsed_ms: i,
      value,
    }));
  }
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  const paths = [
    "value.step",
    "value.metrics.loss",
    "value.metrics.acc",
    'value."val.acc"',
    "value.hist.[].l",
    "value.big",
    "value.missing",
  ];
  deepStrictEqual(paths.length > SEPARATE_SCANS_MAX, true);
  const together = pathsSeries(file, paths);
  for (const p of paths) {
    deepStrictEqual(together.get(p), pathSeries(file, p), p);
  }
  deepStrictEqual(together.get("value.hist.[].l")?.length, 80);
  deepStrictEqual(Number.isNaN(together.get("value.metrics.loss")?.[7]), true);
});
