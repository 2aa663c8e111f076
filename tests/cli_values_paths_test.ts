// `values` under its minimal flags as a real subprocess: several paths side
// by side aligned by record, --tail and --every, the note shown once, a
// default limit with a note, and "did you mean" for mistyped paths.
import {
  deepStrictEqual,
  match,
  strictEqual as equal,
} from "node:assert/strict";
import { tempDir } from "./_helpers.ts";
import {
  cli,
  makeExprag,
  tableObjects,
  writeDenoRun,
} from "./_cli_fixtures.ts";

const R = ["--allow-read=.exprag"];
const root = tempDir("exprag-values-paths-");
const dir = makeExprag(root);
// 300 records: val_acc on every record, val_loss on the even ones only
const run = writeDenoRun(dir, {
  end: "finished",
  tracks: Array.from({ length: 300 }, (_, step) => ({
    value: {
      step,
      metrics: step % 2 === 0
        ? { val_acc: step / 1000, val_loss: 1 - step / 1000 }
        : { val_acc: step / 1000 },
    },
    note: step < 150 ? "warm-up" : "training",
  })),
});

Deno.test("values with several paths: one column each, one row per record, aligned", async () => {
  const o = await cli(root, R, [
    "values",
    "value.metrics.val_acc",
    "value.metrics.val_loss",
    "--run",
    run,
    "--limit",
    "3",
  ]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stdout.split("\n")[0],
    "time\telapsed_ms\tvalue.metrics.val_acc\tvalue.metrics.val_loss\tnote\tline",
  );
  const rows = tableObjects(o.stdout);
  deepStrictEqual(
    rows.map((r) => [
      r["value.metrics.val_acc"],
      r["value.metrics.val_loss"],
      r.line,
    ]),
    [
      ["0", "1", "2"],
      ["0.001", "", "3"], // no val_loss on this record
      ["0.002", "0.998", "4"],
    ],
  );
  const j = JSON.parse(
    (await cli(root, R, [
      "values",
      "value.metrics.val_acc",
      "value.metrics.val_loss",
      "--tail",
      "1",
      "--json",
    ])).stdout,
  );
  deepStrictEqual(j[0].values, {
    "value.metrics.val_acc": 0.299,
    "value.metrics.val_loss": null,
  });
  equal(j[0].source, `.exprag/runs/${run}.jsonl:301`);
});

Deno.test("values --tail N, --every K, the note once, and a default limit that says what it left out", async () => {
  const tail = await cli(root, R, ["values", "value.step", "--tail", "2"]);
  equal(tail.code, 0, tail.stderr);
  deepStrictEqual(tableObjects(tail.stdout).map((r) => r.value), [
    "298",
    "299",
  ]);
  equal(tail.stderr, "");
  const every = await cli(root, R, [
    "values",
    "value.step",
    "--every",
    "100",
  ]);
  deepStrictEqual(tableObjects(every.stdout).map((r) => r.value), [
    "0",
    "100",
    "200",
  ]);
  // the note where it changes only
  const notes = tableObjects(every.stdout).map((r) => r.note);
  deepStrictEqual(notes, ["warm-up", "", "training"]);
  const all = await cli(root, R, ["values", "value.step"]);
  equal(all.code, 0, all.stderr);
  equal(tableObjects(all.stdout).length, 200);
  match(
    all.stderr,
    /^exprag: note: showing the first 200 of 300 rows; --tail N/,
  );
  equal(all.stderr.trimEnd().split("\n").length, 1);
  const j = await cli(root, R, ["values", "value.step", "--json"]);
  equal(JSON.parse(j.stdout).length, 300); // --json is complete
  equal(j.stderr, "");
  const both = await cli(root, R, [
    "values",
    "value.step",
    "--tail",
    "1",
    "--limit",
    "1",
  ]);
  equal(both.code, 2);
});

Deno.test("values: a mistyped path in any position gets the recorded path suggested", async () => {
  for (
    const [args, near] of [
      [["value.metric.val_loss"], "value.metrics.val_loss"],
      [["val_acc"], "value.metrics.val_acc"],
      [["value.step", "value.metrics.val_los"], "value.metrics.val_loss"],
    ] as const
  ) {
    const o = await cli(root, R, ["values", ...args]);
    equal(o.code, 1, o.stdout);
    match(
      o.stderr,
      new RegExp(`did you mean ${near.replaceAll(".", "\\.")}\\?`),
    );
  }
});
