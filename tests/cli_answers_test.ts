// Answers without guessing, as real subprocesses under the minimal flags:
// a failed run's error is its status reason (runs --json, --columns, show),
// `paths` types NaN/Infinity strings as numbers, and `best` suggests the
// recorded path for a mistyped one as `values` does.
import {
  deepStrictEqual,
  match,
  strictEqual as equal,
} from "node:assert/strict";
import { tempDir } from "./_helpers.ts";
import {
  cli,
  history,
  makeExprag,
  tableObjects,
  writeDenoRun,
} from "./_cli_fixtures.ts";

const R = ["--allow-read=.exprag"];
const root = tempDir("exprag-answers-");
const dir = makeExprag(root);
const ok = writeDenoRun(dir, {
  daysAgo: 2,
  end: "finished",
  tracks: history(3, 0.5, 0.1),
});
// the fixture's failed run_end records the error `Error: boom`
const failed = writeDenoRun(dir, {
  daysAgo: 1,
  end: "failed",
  tracks: [...history(2, 0.5, 0.1), {
    value: { step: 2, metrics: { loss: "NaN", acc: "Infinity" } },
  }],
});

Deno.test("a failed run carries its error as status reason in runs and show", async () => {
  const j = JSON.parse((await cli(root, R, ["runs", "--json"])).stdout);
  deepStrictEqual(
    j.map((r: { id: string; status_reason: string | null }) => [
      r.id,
      r.status_reason,
    ]),
    [[failed, "Error: boom"], [ok, null]],
  );
  const t = await cli(root, R, [
    "runs",
    "--where",
    "status = failed",
    "--columns",
    "id,status,status_reason",
  ]);
  equal(t.code, 0, t.stderr);
  deepStrictEqual(tableObjects(t.stdout), [{
    id: failed,
    status: "failed",
    status_reason: "Error: boom",
  }]);
  const show = await cli(root, R, ["show", failed]);
  match(show.stdout, /^status_reason\tError: boom$/m);
});

Deno.test("paths types NaN and Infinity strings as numbers", async () => {
  const o = await cli(root, R, ["paths", "--json"]);
  equal(o.code, 0, o.stderr);
  const by = Object.fromEntries(
    JSON.parse(o.stdout).map((p: { path: string }) => [p.path, p]),
  );
  deepStrictEqual(by["value.metrics.loss"].types, ["number"]);
  deepStrictEqual(by["value.metrics.acc"].types, ["number"]);
  equal(by["value.metrics.acc"].numeric, true);
});

Deno.test("best suggests the recorded path for a short or mistyped one, as values does", async () => {
  for (
    const [path, near] of [
      ["acc", "value.metrics.acc"],
      ["metrics.loss", "value.metrics.loss"],
      ["value.metric.acc", "value.metrics.acc"],
    ]
  ) {
    for (const cmd of ["best", "values"]) {
      const o = await cli(root, R, [cmd, path]);
      equal(o.code, 1, `${cmd} ${path}: ${o.stderr}`);
      const lines = o.stderr.trimEnd().split("\n");
      equal(lines.length, 1, o.stderr);
      match(
        lines[0],
        new RegExp(
          `did you mean ${near.replaceAll(".", "\\.")}\\? see exprag paths`,
        ),
        `${cmd} ${path}`,
      );
    }
  }
  // nothing near: the usage error stays
  const bad = await cli(root, R, ["best", "zzz"]);
  equal(bad.code, 2);
  match(bad.stderr, /expected a track value path/);
});
