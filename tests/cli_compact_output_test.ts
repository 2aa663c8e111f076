// What an agent reads stays small: `runs` shows the metadata leaves that
// differ as columns (a note names those that are the same), `compare` folds
// equal fields into one row and names the diff command once, `show` names
// the machinery's fields in one row, and statistics tables print 6
// significant digits (--json every digit). Real subprocesses, minimal flags.
import {
  deepStrictEqual as deepEqual,
  match,
  ok,
  strictEqual as equal,
} from "node:assert/strict";
import { tempDir } from "./_helpers.ts";
import {
  cli,
  history,
  makeExprag,
  parseTable,
  tableObjects,
  writeDenoRun,
} from "./_cli_fixtures.ts";

const R = ["--allow-read=.exprag"];
const root = tempDir("exprag-compact-");
const dir = makeExprag(root);
const hp = (lr: number, seed: number) => ({
  hparams: { lr, seed, batch_size: 64 },
  dataset: "cifar10",
});
const a = writeDenoRun(dir, {
  daysAgo: 3,
  end: "finished",
  metadata: hp(0.01, 0),
  tracks: history(5, 0.6, 0.0512345678),
});
const b = writeDenoRun(dir, {
  daysAgo: 2,
  end: "finished",
  metadata: hp(0.03, 0),
  tracks: history(5, 0.6, 0.0712345678),
});

Deno.test("runs shows each metadata leaf that differs as a column and names the same ones in a note", async () => {
  const o = await cli(root, R, ["runs"]);
  equal(o.code, 0, o.stderr);
  const header = o.stdout.split("\n")[0].split("\t");
  deepEqual(header.slice(10), ["metadata.hparams.lr"]);
  const rows = tableObjects(o.stdout);
  deepEqual(rows.map((r) => [r.id, r["metadata.hparams.lr"]]), [
    [b, "0.03"],
    [a, "0.01"],
  ]);
  equal(
    o.stderr.trim(),
    'exprag: note: the same in all 2 runs listed: metadata.hparams.seed=0, metadata.hparams.batch_size=64, metadata.dataset="cifar10"',
  );
  // one run: nothing to tell apart, the whole metadata as one column
  const one = await cli(root, R, ["runs", "--limit", "1"]);
  equal(one.code, 0, one.stderr);
  equal(one.stderr, "");
  deepEqual(JSON.parse(tableObjects(one.stdout)[0].metadata), hp(0.03, 0));
  // --json keeps the whole metadata of every run
  const j = JSON.parse((await cli(root, R, ["runs", "--json"])).stdout);
  deepEqual(j[1].metadata, hp(0.01, 0));
});

Deno.test("best shows commit, dirty and the metadata leaves that differ between the rows", async () => {
  const o = await cli(root, R, ["best", "value.metrics.acc", "--top", "2"]);
  equal(o.code, 0, o.stderr);
  deepEqual(o.stdout.split("\n")[0].split("\t").slice(9), [
    "started",
    "commit",
    "dirty",
    "metadata.hparams.lr",
  ]);
  deepEqual(
    tableObjects(o.stdout).map((r) => [r.id, r["metadata.hparams.lr"]]),
    [
      [b, "0.03"],
      [a, "0.01"],
    ],
  );
  match(
    o.stderr,
    /^exprag: note: the same in all 2 runs listed: metadata\.hparams\.seed=0, /m,
  );
  const top = await cli(root, R, ["best", "value.metrics.acc", "--top", "1"]);
  deepEqual(JSON.parse(tableObjects(top.stdout)[0].metadata), hp(0.03, 0));
});

Deno.test("runs keeps one metadata column when more than 8 leaves differ", async () => {
  const r2 = tempDir("exprag-compact-wide-");
  const d2 = makeExprag(r2);
  const wide = (k: number) =>
    Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`p${i}`, k + i]));
  writeDenoRun(d2, { daysAgo: 2, end: "finished", metadata: wide(0) });
  writeDenoRun(d2, { daysAgo: 1, end: "finished", metadata: wide(100) });
  const o = await cli(r2, R, ["runs"]);
  equal(o.code, 0, o.stderr);
  equal(o.stdout.split("\n")[0].split("\t").at(-1), "metadata");
  equal(o.stderr, "");
});

Deno.test("compare folds equal fields into one same row and names the diff command once", async () => {
  const o = await cli(root, R, ["compare", a, b]);
  equal(o.code, 0, o.stderr);
  const [fields, paths, rest] = o.stdout.trimEnd().split("\n\n");
  equal(rest, undefined);
  const f = Object.fromEntries(
    parseTable(fields).rows.map((r) => [r[0], r.slice(1)]),
  );
  deepEqual(Object.keys(f), [
    "id",
    "started",
    "metadata.hparams.lr",
    "same",
    "code",
  ]);
  match(f.same[0], /^name=deno experiment, status=finished, duration_s=/);
  equal(o.stdout.split(`exprag diff ${a} ${b}`).length, 2, o.stdout);
  // 6 significant digits in the table, every digit in --json
  const acc = tableObjects(paths).find((p) => p.path === "value.metrics.acc")!;
  const j = JSON.parse(
    (await cli(root, R, ["compare", a, b, "--json"])).stdout,
  );
  const exact = j.paths.find((p: { path: string }) =>
    p.path === "value.metrics.acc"
  );
  equal(acc.a_last, String(Number(exact.a.last.toPrecision(6))));
  ok(String(exact.a.last).length > acc.a_last.length, acc.a_last);
});

Deno.test("show names process ids and versions in one more row and prints 6 significant digits", async () => {
  const o = await cli(root, R, ["show", a]);
  equal(o.code, 0, o.stderr);
  const [fields, paths] = o.stdout.trimEnd().split("\n\n");
  const rows = Object.fromEntries(parseTable(fields).rows);
  equal(rows["process.pid"], undefined);
  equal(rows["runtime.v8"], undefined);
  equal(rows.writer, undefined);
  match(
    rows.more,
    /^writer, exprag_version, .*process\.pid.*runtime\.v8.* \(values: --json\)$/,
  );
  equal(rows["runtime.deno"], "2.9.6");
  const j = JSON.parse((await cli(root, R, ["show", a, "--json"])).stdout);
  equal(j.run.start.process.pid, 4243);
  const mean = tableObjects(paths).find((p) => p.path === "value.metrics.acc")!
    .mean;
  equal(mean, String(Number(j.paths["value.metrics.acc"].mean.toPrecision(6))));
});

Deno.test("compare notes when the runs recorded different numbers of track records", async () => {
  const c = writeDenoRun(dir, {
    id: "cccccccc-0000-4000-8000-00000000000c",
    daysAgo: 4,
    metadata: hp(0.01, 1),
    tracks: history(3, 0.6, 0.05), // no run_end: crashed at step 2
  });
  const o = await cli(root, R, ["compare", a, c]);
  equal(o.code, 0, o.stderr);
  match(
    o.stderr,
    /^exprag: note: the runs recorded different numbers of track records \(a: 5; b: 3, (crashed|unknown)\): their last values come from different points of training$/m,
  );
  equal((await cli(root, R, ["compare", a, b])).stderr, "");
});
