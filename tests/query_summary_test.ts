// Summaries never disagree with a full scan: run_end (tracker) vs the
// reader's scans (every code path: full SummaryBuilder scan, the per-path
// scanner on the main thread and in workers, backwards `last`).
import { deepStrictEqual as eq, strictEqual as is } from "node:assert/strict";
import { join } from "node:path";
import {
  bestRuns,
  listRuns,
  pathStats,
  reduceStats,
  runStats,
} from "../mod.ts";
import { _setScanWorkers } from "../src/query/scanner.ts";
import type { PathStats } from "../src/summary.ts";
import {
  expragDir,
  writeDenoRun,
  writePythonRun,
} from "./query_fixtures_test.ts";
import { runScript } from "./_helpers.ts";

/** A small deterministic PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomLeaf(r: () => number): unknown {
  const k = Math.floor(r() * 14);
  switch (k) {
    case 0:
      return "NaN";
    case 1:
      return r() < 0.5 ? "Infinity" : "-Infinity";
    case 2:
      return r() < 0.5;
    case 3:
      return null;
    case 4:
      return "acc"; // a string equal to a key
    case 5:
      return Math.floor(r() * 1000) - 500;
    case 6:
      return (r() - 0.5) * 1e300;
    case 7:
      return -0;
    case 8:
      return 'text with "quotes" and \\u0061cc';
    default:
      return r() * 2 - 1;
  }
}

const KEYS = ["acc", "loss", "a", "b", "[]", "0", "é", "a.b", ""];

function randomValue(r: () => number, depth = 0): unknown {
  const x = r();
  if (depth > 3 || x < 0.35) return randomLeaf(r);
  if (x < 0.6) {
    const n = Math.floor(r() * 4);
    return Array.from({ length: n }, () => randomValue(r, depth + 1));
  }
  const o: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    o[KEYS[Math.floor(r() * KEYS.length)]] = randomValue(r, depth + 1);
  }
  return o;
}

function randomTrack(r: () => number): unknown {
  const v: Record<string, unknown> = { step: Math.floor(r() * 100) };
  v.metrics = randomValue(r, 1);
  if (r() < 0.5) {
    v.history = Array.from(
      { length: Math.floor(r() * 3) },
      () => ({ loss: randomLeaf(r), acc: randomLeaf(r) }),
    );
  }
  if (r() < 0.3) v.acc = randomLeaf(r);
  return v;
}

/** Copies a run file without its run_end, so the reader must scan it. */
function withoutEnd(file: string, dir: string): string {
  const lines = Deno.readTextFileSync(file).split("\n").filter((l) => l !== "");
  const kept = lines.filter((l) => JSON.parse(l).kind !== "run_end");
  const out = join(dir, "runs", file.split("/").at(-1)!);
  Deno.writeTextFileSync(out, kept.map((l) => l + "\n").join(""));
  return out;
}

async function checkAgree(
  summary: Record<string, PathStats>,
  scannedDir: string,
  id: string,
) {
  const scan = await runStats(id, { dir: scannedDir });
  is(scan.source, "scan");
  eq(scan.paths, summary);
  const run = (await listRuns({ dir: scannedDir })).find((r) => r.id === id)!;
  for (const [path, st] of Object.entries(summary)) {
    eq(await pathStats(run, path, { dir: scannedDir }), st, path);
    for (const by of ["last", "first", "max", "min", "mean"] as const) {
      const best = await bestRuns(path, { dir: scannedDir, by, top: 5 });
      const row = best.rows.find((r) => r.run.id === id)!;
      eq(row.value, reduceStats(st, by), `${path} ${by}`);
    }
  }
}

Deno.test("summary property: fixture summaries (SummaryBuilder) equal every scan path", async () => {
  for (let seed = 1; seed <= 25; seed++) {
    const r = rng(seed);
    const ended = expragDir();
    const tracks = Array.from({ length: 1 + Math.floor(r() * 30) }, () => ({
      value: randomTrack(r),
      note: r() < 0.3 ? "acc notes" : undefined,
      ms: Math.floor(r() * 5),
    }));
    const a = writeDenoRun(ended, { tracks, end: "finished" });
    const summary = (await listRuns({ dir: ended }))[0].end!.summary!;
    const scanned = expragDir();
    withoutEnd(a.file, scanned);
    await checkAgree(summary, scanned, a.id);
    // the same values in the Python shape
    const py = expragDir();
    const p = writePythonRun(py, { id: a.id, tracks });
    eq((await runStats(p.id, { dir: py })).paths, summary);
  }
});

Deno.test("summary property: workers give the same statistics as the main thread", async () => {
  const dir = expragDir();
  const r = rng(99);
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    ids.push(
      writePythonRun(dir, {
        tracks: Array.from({ length: 200 }, () => ({ value: randomTrack(r) })),
      }).id,
    );
  }
  const paths = [
    "value.metrics.acc",
    "value.history.[].loss",
    "value.acc",
    "value.metrics.[].a",
    "value.step",
  ];
  const local: unknown[] = [];
  for (const p of paths) {
    local.push(
      (await bestRuns(p, { dir, by: "mean", top: 99 })).rows.map((
        x,
      ) => [x.run.id, x.value, x.count]),
    );
  }
  _setScanWorkers(2, 0);
  try {
    for (let i = 0; i < paths.length; i++) {
      eq(
        (await bestRuns(paths[i], { dir, by: "mean", top: 99 })).rows.map((
          x,
        ) => [x.run.id, x.value, x.count]),
        local[i],
      );
    }
  } finally {
    _setScanWorkers(-1);
  }
});

Deno.test("summary property: the tracker's run_end summary equals the reader's full scan", async () => {
  const dir = expragDir();
  const mod = new URL("../mod.ts", import.meta.url).href;
  const code = `import { Experiment } from ${JSON.stringify(mod)};
    ${rng.toString()}
    ${randomLeaf.toString()}
    const KEYS = ${JSON.stringify(KEYS)};
    ${randomValue.toString()}
    ${randomTrack.toString()}
    const ids = [];
    for (let seed = 1; seed <= 8; seed++) {
      const r = rng(seed * 31);
      const exp = new Experiment("prop", { dir: ${
    JSON.stringify(dir)
  }, git: false, metadata: { seed } });
      const n = 1 + Math.floor(r() * 300);
      for (let i = 0; i < n; i++) {
        const v = randomTrack(r);
        // real NaN/Infinity numbers too: the tracker encodes them as strings
        if (r() < 0.2) v.real = [NaN, Infinity, -Infinity, 0.5][Math.floor(r() * 4)];
        exp.track(v, r() < 0.2 ? { note: "acc" } : undefined);
      }
      exp.end();
      ids.push(exp.runId);
    }
    console.log(JSON.stringify(ids));`;
  const out = await runScript(dir, code, [
    `--allow-write=${dir}`,
    `--allow-read=${dir}`,
  ]);
  is(out.code, 0, out.stderr);
  const ids: string[] = JSON.parse(out.stdout);
  const runs = await listRuns({ dir });
  is(runs.length, 8);
  for (const id of ids) {
    const run = runs.find((r) => r.id === id)!;
    is(run.status, "finished");
    is(run.end!.summary_truncated, false);
    const scanned = expragDir();
    withoutEnd(run.file, scanned);
    await checkAgree(run.end!.summary!, scanned, id);
  }
});
