// `runs` under its minimal flags as a real subprocess: the value of each
// --where path as a column, and --columns picking columns (fields, metadata
// and value paths), in the table and in --json.
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
  writePythonRun,
} from "./_cli_fixtures.ts";

const R = ["--allow-read=.exprag"];
const root = tempDir("exprag-runs-cols-");
const dir = makeExprag(root);
const low = writeDenoRun(dir, {
  daysAgo: 3,
  end: "finished",
  metadata: { hparams: { lr: 0.01, batch_size: 32 } },
  tracks: history(5, 0.6, 0.05), // last acc 0.8
});
const high = writePythonRun(dir, {
  daysAgo: 2,
  metadata: { hparams: { lr: 0.1, batch_size: 64 } },
  tracks: history(5, 0.7, 0.06), // last acc 0.94, scanned (no run_end)
});

Deno.test("runs --where shows the value of each path it filtered on as a column", async () => {
  const o = await cli(root, R, [
    "runs",
    "--where",
    "value.metrics.acc > 0.5",
    "--where",
    "metadata.hparams.lr >= 0.01",
    "--where",
    "status != failed",
  ]);
  equal(o.code, 0, o.stderr);
  const header = o.stdout.split("\n")[0].split("\t");
  deepStrictEqual(header.slice(-2), [
    "value.metrics.acc",
    "metadata.hparams.lr",
  ]);
  const rows = tableObjects(o.stdout);
  deepStrictEqual(rows.map((r) => [r.id, r["metadata.hparams.lr"]]), [
    [high, "0.1"],
    [low, "0.01"],
  ]);
  equal(Number(rows[0]["value.metrics.acc"]).toFixed(2), "0.94");
  equal(Number(rows[1]["value.metrics.acc"]).toFixed(2), "0.80");
  const j = JSON.parse(
    (await cli(root, R, [
      "runs",
      "--where",
      "value.metrics.acc > 0.9",
      "--json",
    ]))
      .stdout,
  );
  equal(j.length, 1);
  equal(j[0].id, high);
  deepStrictEqual(Object.keys(j[0].columns), ["value.metrics.acc"]);
});

Deno.test("runs --columns picks the columns: fields, metadata and value paths", async () => {
  const o = await cli(root, R, [
    "runs",
    "--columns",
    "id,status,metadata.hparams.batch_size,value.metrics.loss,git.branch",
  ]);
  equal(o.code, 0, o.stderr);
  equal(
    o.stdout.split("\n")[0],
    "id\tstatus\tmetadata.hparams.batch_size\tvalue.metrics.loss\tgit.branch",
  );
  deepStrictEqual(tableObjects(o.stdout).map((r) => Object.values(r)), [
    [high, "unknown", "64", "0.2", "main"],
    [low, "finished", "32", "0.2", ""], // no git state: empty,
  ]);
  const bad = await cli(root, R, ["runs", "--columns", "id,bogus.x"]);
  equal(bad.code, 2);
  match(bad.stderr, /Invalid column "bogus\.x"/);
});
