// `best` under its minimal flags as a real subprocess: the finished runs are
// ranked by default with a note on what was left out, runs without run_end
// when no run has one, counts from the scan for crashed runs, and
// --group-by rows (n, mean, std, min, max, best run per group).
import {
  deepStrictEqual,
  match,
  ok,
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

function notes(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("exprag: note:"));
}

/** A repository with finished, failed and crashed (no run_end) runs. */
function mixed(): {
  root: string;
  done: string;
  failed: string;
  crashed: string;
} {
  const root = tempDir("exprag-best-status-");
  const dir = makeExprag(root);
  const done = writeDenoRun(dir, {
    daysAgo: 3,
    end: "finished",
    metadata: { hparams: { lr: 0.1 } },
    tracks: history(5, 0.6, 0.05), // final acc 0.8
  });
  const failed = writeDenoRun(dir, {
    daysAgo: 2,
    end: "failed",
    metadata: { hparams: { lr: 0.2 } },
    tracks: history(3, 0.5, 0.1), // final acc 0.7
  });
  // no run_end and no process holds its lock: crashed, on a higher curve
  const crashed = writeDenoRun(dir, {
    daysAgo: 1,
    metadata: { hparams: { lr: 0.3 } },
    tracks: history(5, 0.8, 0.05),
  });
  return { root, done, failed, crashed };
}

Deno.test("best ranks only the finished runs by default and says in one note what it left out", async () => {
  const { root, done, failed, crashed } = mixed();
  const o = await cli(root, R, ["best", "value.metrics.acc", "--top", "5"]);
  equal(o.code, 0, o.stderr);
  deepStrictEqual(tableObjects(o.stdout).map((r) => r.id), [done]);
  const n = notes(o.stderr);
  equal(n.length, 1, o.stderr);
  match(n[0], /ranked the 1 finished run; left out 1 failed, 1 crashed/);
  match(n[0], /--status any/);
  // the flag named in the note includes them: the crashed run wins on its curve
  const any = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--top",
    "5",
    "--status",
    "any",
  ]);
  equal(any.code, 0, any.stderr);
  deepStrictEqual(tableObjects(any.stdout).map((r) => r.id), [
    crashed,
    done,
    failed,
  ]);
  equal(notes(any.stderr).length, 0, any.stderr);
  // every run finished: nothing to say
  const only = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--where",
    "status = finished",
  ]);
  equal(only.code, 0, only.stderr);
  equal(only.stderr, "");
  const some = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--status",
    "failed,crashed",
    "--top",
    "5",
    "--json",
  ]);
  const j = JSON.parse(some.stdout);
  deepStrictEqual(j.rows.map((r: { run: { id: string } }) => r.run.id), [
    crashed,
    failed,
  ]);
  deepStrictEqual(j.left_out, { finished: 1 });
  // an empty ranking: the one-line error says what was left out
  const none = await cli(root, R, ["best", "value.metrics.nope"]);
  equal(none.code, 1);
  const lines = none.stderr.trimEnd().split("\n");
  equal(lines.length, 1, none.stderr);
  match(
    lines[0],
    /no run has a numeric value at value\.metrics\.nope \(1 run considered: ranked the 1 finished run; left out 1 failed, 1 crashed/,
  );
  const bad = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--status",
    "done",
  ]);
  equal(bad.code, 2);
  match(bad.stderr, /--status: unknown status "done"/);
});

Deno.test("best --json gives counts and records of crashed runs from the scan, for every reducer", async () => {
  const { root, crashed } = mixed();
  for (const by of ["last", "first", "max"]) {
    const o = await cli(root, R, [
      "best",
      "value.metrics.acc",
      "--status",
      "crashed",
      "--by",
      by,
      "--json",
    ]);
    equal(o.code, 0, o.stderr);
    const row = JSON.parse(o.stdout).rows[0];
    equal(row.run.id, crashed);
    equal(row.count, 5, by);
    equal(row.run.records, 5, by);
    equal(row.source, "scan");
  }
});

Deno.test("best ranks runs without run_end (Python exprag files) when no run has one, and says so", async () => {
  const root = tempDir("exprag-best-py-");
  const dir = makeExprag(root);
  const a = writePythonRun(dir, { daysAgo: 2, tracks: history(4, 0.5, 0.1) });
  const b = writePythonRun(dir, { daysAgo: 1, tracks: history(4, 0.6, 0.1) });
  const o = await cli(root, R, ["best", "value.metrics.acc", "--top", "3"]);
  equal(o.code, 0, o.stderr);
  deepStrictEqual(tableObjects(o.stdout).map((r) => r.id), [b, a]);
  const n = notes(o.stderr);
  equal(n.length, 1, o.stderr);
  match(
    n[0],
    /no run has a run_end \(e\.g\. Python exprag files\): ranked all 2 runs/,
  );
});

Deno.test("best --group-by: one row per learning rate with n, mean, std, min, max and the group's best run", async () => {
  const root = tempDir("exprag-best-group-");
  const dir = makeExprag(root);
  const ids: Record<string, string> = {};
  // final acc = start + 4 * step: lr 0.1 → 0.9, 0.7; lr 0.01 → 0.6, 0.6, 0.6
  for (
    const [lr, seed, start] of [[0.1, 1, 0.5], [0.1, 2, 0.3], [0.01, 1, 0.2], [
      0.01,
      2,
      0.2,
    ], [0.01, 3, 0.2]]
  ) {
    ids[`${lr}/${seed}`] = writeDenoRun(dir, {
      daysAgo: 5 - seed,
      end: "finished",
      metadata: { hparams: { lr, seed } },
      tracks: history(5, start, 0.1),
    });
  }
  const o = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--group-by",
    "metadata.hparams.lr",
  ]);
  equal(o.code, 0, o.stderr);
  const rows = tableObjects(o.stdout);
  deepStrictEqual(rows.map((r) => [r["metadata.hparams.lr"], r.n, r.best_id]), [
    ["0.1", "2", ids["0.1/1"]],
    ["0.01", "3", ids["0.01/1"]],
  ]);
  equal(Number(rows[0].mean).toFixed(2), "0.80");
  equal(Number(rows[0].std).toFixed(4), "0.1414");
  equal(Number(rows[0].min).toFixed(2), "0.70");
  equal(Number(rows[0].max).toFixed(2), "0.90");
  equal(Number(rows[1].std).toFixed(4), "0.0000");
  // repeatable, and --json
  const j = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--group-by",
    "metadata.hparams.lr",
    "--group-by",
    "metadata.hparams.seed",
    "--json",
  ]);
  equal(j.code, 0, j.stderr);
  const r = JSON.parse(j.stdout);
  deepStrictEqual(r.group_by, ["metadata.hparams.lr", "metadata.hparams.seed"]);
  equal(r.groups.length, 5);
  deepStrictEqual(r.groups[0].key, {
    "metadata.hparams.lr": 0.1,
    "metadata.hparams.seed": 1,
  });
  equal(r.groups[0].n, 1);
  equal(r.groups[0].std, null);
  equal(r.groups[0].best.run.id, ids["0.1/1"]);
  ok(r.groups.every((g: { best: { rank: number } }) => g.best.rank >= 1));
  const bad = await cli(root, R, [
    "best",
    "value.metrics.acc",
    "--group-by",
    "value.metrics.loss",
  ]);
  equal(bad.code, 2);
  match(bad.stderr, /group by run paths/);
});
