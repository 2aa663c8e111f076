// Reading API: paths, values, best runs, comparisons.
import {
  deepStrictEqual as eq,
  ok,
  rejects,
  strictEqual as is,
} from "node:assert/strict";
import { bestRuns, type Problem, selectValues } from "../mod.ts";
import { compareRuns } from "../src/query/compare.ts";
import { discoverPaths } from "../src/query/select.ts";
import { getPath, valuesAt } from "../src/query/get_path.ts";
import { pathStats, runStats } from "../src/query/stats.ts";
import { expragDir, writeDenoRun, writePythonRun } from "./_query_fixtures.ts";

const acc = (xs: unknown[]) =>
  xs.map((a) => ({ value: { metrics: { acc: a } } }));

Deno.test("paths: discovered like Python's discover_value_paths, lists as []", async () => {
  const dir = expragDir();
  writeDenoRun(dir, {
    tracks: [
      {
        value: {
          step: 0,
          metrics: { loss: 1, acc: "NaN" },
          history: [{ loss: 3 }, { loss: 2 }],
          tags: [],
          cfg: {},
        },
      },
      {
        value: {
          step: 1,
          metrics: { loss: 0.5, acc: 0.7 },
          label: "x",
          ok: true,
          none: null,
        },
      },
    ],
    end: "finished",
  });
  writePythonRun(dir, {
    tracks: [{ value: { step: 0, metrics: { acc: 0.9 } } }],
  });
  const paths = await discoverPaths({ dir });
  const by = Object.fromEntries(paths.map((p) => [p.path, p]));
  eq(paths.map((p) => p.path), [
    "value.metrics.acc",
    "value.step",
    "value.history.[].loss",
    "value.metrics.loss",
    "value.cfg",
    "value.label",
    "value.none",
    "value.ok",
    "value.tags",
  ]);
  eq(by["value.metrics.acc"], {
    path: "value.metrics.acc",
    count: 3,
    runs: 2,
    types: ["number"], // "NaN" is a number, as everywhere else
    examples: ["NaN", 0.7, 0.9],
    numeric: true,
  });
  eq(by["value.history.[].loss"].examples, [3, 2]);
  eq([
    by["value.tags"].types,
    by["value.cfg"].types,
    by["value.none"].types,
    by["value.ok"].numeric,
  ], [["array"], ["object"], ["null"], false]);
  eq(
    (await discoverPaths({ dir, contains: "LOSS", numeric: true })).map((p) =>
      p.path
    ),
    ["value.history.[].loss", "value.metrics.loss"],
  );
  eq(
    (await discoverPaths({ dir, numeric: false, limit: 2 })).map((p) => p.path),
    ["value.cfg", "value.label"],
  );
  eq((await discoverPaths({ dir, run: "latest" })).map((p) => p.path), [
    "value.metrics.acc",
    "value.step",
  ]);
  ok(
    (await discoverPaths({ dir, kinds: ["run_start"] })).some((p) =>
      p.path === "value.git.commit"
    ),
  );
});

Deno.test("values: rows with run, time, elapsed, file:line; [] wildcards; limit", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    name: "first",
    tracks: [{ value: { h: [{ l: 1 }, { l: 2 }] }, note: "n1" }, {
      value: { h: [] },
    }, { value: { h: [{ l: 3 }] } }],
  });
  const b = writePythonRun(dir, { tracks: [{ value: { h: [{ l: 9 }] } }] });
  const rows = await selectValues("value.h.[].l", { dir });
  eq(rows.map((r) => [r.run_id, r.value, r.line, r.file, r.elapsed_ms]), [
    [a.id, 1, 2, a.file, 10],
    [a.id, 2, 2, a.file, 10],
    [a.id, 3, 4, a.file, 30],
    [b.id, 9, 2, b.file, 10],
  ]);
  is(rows[0].note, "n1");
  is(rows[0].name, "first");
  ok(rows[3].created_at!.endsWith("+00:00"));
  eq((await selectValues("value.h.0.l", { dir })).map((r) => r.value), [
    1,
    3,
    9,
  ]);
  eq(
    (await selectValues("value.h.[].l", { dir, limit: 2 })).map((r) => r.value),
    [1, 2],
  );
  eq(
    (await selectValues("value.h.[].l", { dir, run: b.id.slice(0, 8) })).map((
      r,
    ) => r.value),
    [9],
  );
  eq((await selectValues("note", { dir })).map((r) => r.value), ["n1"]);
  eq(valuesAt({ value: { a: [[1, 2], [3]] } }, "value.a.[].[]"), [1, 2, 3]);
  eq(
    getPath({ value: { h: [{ l: 1 }, { x: 0 }, { l: 2 }] } }, "value.h.[].l"),
    [1, 2],
  );
  is(getPath({ value: {} }, "value.h.[].l"), undefined);
  await rejects(selectValues("", { dir }), RangeError);
});

Deno.test("best: max/min, every reducer, summary and scan agree; NaN never wins but is shown", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    tracks: acc([0.5, 0.9, 0.6]),
    end: "finished",
  }); // summary
  const b = writeDenoRun(dir, { tracks: acc([0.7, 0.8]) }); // no run_end: scan
  const c = writePythonRun(dir, { tracks: acc([0.95, "NaN"]) }); // last NaN
  const d = writePythonRun(dir, { tracks: acc(["NaN", "Infinity", 0.1]) });
  const e = writeDenoRun(dir, {
    tracks: [{ value: { other: 1 } }],
    end: "finished",
  }); // no acc
  void e;
  const rank = async (
    by: "last" | "first" | "max" | "min" | "mean",
    direction: "max" | "min" = "max",
  ) => {
    const r = await bestRuns("value.metrics.acc", {
      dir,
      by,
      direction,
      top: Infinity,
    });
    is(r.considered, 5);
    is(r.missing, 1);
    return r.rows.map((row) => [row.run.id, row.value]);
  };
  eq(await rank("last"), [[b.id, 0.8], [a.id, 0.6], [d.id, 0.1], [
    c.id,
    "NaN",
  ]]);
  eq(await rank("last", "min"), [[d.id, 0.1], [a.id, 0.6], [b.id, 0.8], [
    c.id,
    "NaN",
  ]]);
  eq(await rank("max"), [[d.id, "Infinity"], [c.id, 0.95], [a.id, 0.9], [
    b.id,
    0.8,
  ]]);
  eq(
    await rank("min"),
    [[d.id, 0.1], [a.id, 0.5], [b.id, 0.7], [c.id, 0.95]].reverse(),
  );
  eq(await rank("first"), [[c.id, 0.95], [b.id, 0.7], [a.id, 0.5], [
    d.id,
    "NaN",
  ]]);
  eq((await rank("mean")).map(([id]) => id), [d.id, c.id, b.id, a.id]);
  const best = await bestRuns("value.metrics.acc", { dir });
  is(best.rows.length, 1);
  is(best.by, "last");
  is(best.direction, "max");
  is(best.rows[0].run.id, b.id);
  is(best.rows[0].source, "scan");
  is(
    (await bestRuns("value.metrics.acc", { dir, by: "max", top: 5 })).rows.find(
      (r) => r.run.id === a.id,
    )!.source,
    "summary",
  );
  // NaN only: shown, last
  const onlyNaN = expragDir();
  const n = writeDenoRun(onlyNaN, { tracks: acc(["NaN"]), end: "finished" });
  const m = writeDenoRun(onlyNaN, { tracks: acc([-1]), end: "finished" });
  eq(
    (await bestRuns("value.metrics.acc", { dir: onlyNaN, top: 9 })).rows.map((
      r,
    ) => [r.run.id, r.value]),
    [[m.id, -1], [n.id, "NaN"]],
  );
  eq(
    (await bestRuns("value.metrics.acc", { dir: onlyNaN, top: 9, by: "max" }))
      .rows.map((r) => [r.run.id, r.value]),
    [[m.id, -1], [n.id, "NaN"]],
  );
  await rejects(
    bestRuns("metrics.acc", { dir }),
    (err: Error) =>
      err instanceof RangeError && err.message.includes('"metrics.acc"'),
  );
  await rejects(
    bestRuns("value.metrics.acc", { dir, by: "median" as never }),
    /Invalid reducer "median"/,
  );
  await rejects(
    bestRuns("value.metrics.acc", { dir, direction: "up" as never }),
    RangeError,
  );
  await rejects(bestRuns("value.metrics.acc", { dir, top: -1 }), RangeError);
});

Deno.test("best: where, since and wildcard paths; a torn tail is reported once", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    start: "2026-11-01T00:00:00Z",
    metadata: { lr: 0.1 },
    tracks: [{ value: { h: [{ l: 5 }, { l: 1 }] } }],
    end: "finished",
  });
  const b = writePythonRun(dir, {
    start: "2026-11-10T00:00:00+00:00",
    metadata: { lr: 0.01 },
    tracks: [{ value: { h: [{ l: 2 }, { l: 3 }] } }],
    tail: '{"kind":"track","value":{"h":[{"l":',
  });
  const problems: Problem[] = [];
  const r = await bestRuns("value.h.[].l", {
    dir,
    direction: "min",
    by: "min",
    top: 2,
    onProblem: (p) => problems.push(p),
  });
  eq(r.rows.map((x) => [x.run.id, x.value]), [[a.id, 1], [b.id, 2]]);
  eq(problems.map((p) => [p.file, p.line]), [[b.file, 3]]);
  const last = await bestRuns("value.h.[].l", {
    dir,
    onProblem: (p) => problems.push(p),
  });
  eq(last.rows.map((x) => [x.run.id, x.value]), [[b.id, 3]]);
  eq(
    (await bestRuns("value.h.[].l", { dir, where: ["metadata.lr > 0.05"] }))
      .rows.map((x) => x.run.id),
    [a.id],
  );
  eq(
    (await bestRuns("value.h.[].l", { dir, since: "2026-11-05" })).rows.map((
      x,
    ) => x.run.id),
    [b.id],
  );
  eq(
    (await bestRuns("value.h.[].l", { dir, until: "2026-11-05", by: "first" }))
      .rows.map((x) => [x.run.id, x.value]),
    [[a.id, 5]],
  );
  await rejects(
    bestRuns("value.h.[].l", { dir, strict: true }),
    /:3: torn line/,
  );
});

Deno.test("stats: run_end summary, scans, and compare", async () => {
  const dir = expragDir();
  const a = writeDenoRun(dir, {
    metadata: { hparams: { lr: 0.1, bs: 32 }, tags: ["a"] },
    tracks: [{ value: { m: { acc: 0.5, loss: 1 }, only_a: 1 } }, {
      value: { m: { acc: 0.8, loss: 0.4 } },
    }],
    end: "finished",
  });
  const b = writePythonRun(dir, {
    metadata: { hparams: { lr: 0.01, bs: 32, wd: 0 }, tags: ["a", "b"] },
    tracks: [{ value: { m: { acc: 0.6, loss: 2 }, only_b: [1, 2] } }, {
      value: { m: { acc: 0.9, loss: "NaN" } },
    }],
  });
  const sa = await runStats(a.id, { dir });
  is(sa.source, "summary");
  const sb = await runStats(b.id, { dir });
  is(sb.source, "scan");
  eq(sb.paths["value.m.loss"], {
    count: 2,
    first: 2,
    last: "NaN",
    min: 2,
    max: 2,
    sum: 2,
    nan: 1,
    first_ms: 10,
    last_ms: 20,
  });
  eq(await pathStats(b.id, "value.m.loss", { dir }), sb.paths["value.m.loss"]);
  eq(await pathStats(a.id, "value.m.acc", { dir }), sa.paths["value.m.acc"]);
  is(await pathStats(a.id, "value.nothing", { dir }), null);
  const c = await compareRuns(a.id, "latest", { dir });
  is(c.b.id, b.id);
  eq(c.metadata, [
    { path: "metadata.hparams.lr", a: 0.1, b: 0.01 },
    { path: "metadata.hparams.wd", a: undefined, b: 0 },
    { path: "metadata.tags", a: ["a"], b: ["a", "b"] },
  ]);
  eq(c.git.map((g) => g.path), ["git.commit", "git.head", "git.head_branch"]);
  eq(c.paths.map((p) => p.path), ["value.m.acc", "value.m.loss"]);
  is(Math.round(c.paths[0].last_delta! * 1000), 100);
  is(c.paths[1].last_delta, null); // NaN
  eq(c.only_a, ["value.only_a"]);
  eq(c.only_b, ["value.only_b.[]"]);
});
