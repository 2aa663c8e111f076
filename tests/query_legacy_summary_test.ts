// Run files of exprag for Deno 0.1.0 keyed their run_end summaries by paths
// joined with dots, unquoted (`value.C:\data`); today's paths quote such
// keys (`value."C:\\data"`). The reader finds those summaries under today's
// form.
import { deepStrictEqual, strictEqual as equal } from "node:assert/strict";
import { bestRuns } from "../src/query/mod.ts";
import { runStats } from "../src/query/stats.ts";
import { expragDir, writeDenoRun } from "./_query_fixtures.ts";

Deno.test("summaries of 0.1.0 files (bare keys with a backslash or a space) are found under today's quoted paths", async () => {
  const dir = expragDir();
  const { file } = writeDenoRun(dir, {
    tracks: [
      { value: { "C:\\data": 0.25, "val loss": 2 } },
      { value: { "C:\\data": 0.5, "val loss": 1 } },
    ],
    end: "finished",
  });
  // rewrite the summary keys as 0.1.0 wrote them
  const text = Deno.readTextFileSync(file);
  const legacy = text
    .replace(
      JSON.stringify('value."C:\\\\data"'),
      JSON.stringify("value.C:\\data"),
    )
    .replace(
      JSON.stringify('value."val loss"'),
      JSON.stringify("value.val loss"),
    );
  equal(legacy === text, false, "the fixture holds today's quoted keys");
  Deno.writeTextFileSync(file, legacy);

  const best = await bestRuns('value."C:\\\\data"', { dir });
  equal(best.rows.length, 1);
  equal(best.rows[0].value, 0.5);
  equal(best.rows[0].source, "summary");
  const stats = await runStats(best.rows[0].run, { dir });
  equal(stats.source, "summary");
  deepStrictEqual(Object.keys(stats.paths).sort(), [
    'value."C:\\\\data"',
    'value."val loss"',
  ]);
});
