// Summaries never disagree with a full scan: run_end (tracker) vs the
// reader's scans (every code path: full SummaryBuilder scan, the per-path
// scanner on the main thread and in workers, backwards `last`).
import { deepStrictEqual as eq, strictEqual as is } from "node:assert/strict";
import { join } from "node:path";
import { bestRuns, listRuns } from "../mod.ts";
import { pathStats, runStats } from "../src/query/stats.ts";
import { reduceStats } from "../src/query/reduce.ts";
import { createFileScanner as createScanner } from "../src/query/scanner/file_scanner.ts";
import { createScanPool } from "../src/query/scanner/pool.ts";
import { childPath, listPath } from "../src/value_path.ts";
import { scanPathStats } from "../src/query/run_stats.ts";
import { scanAllPaths } from "../src/query/scanner/all_paths.ts";
import {
  type PathStats,
  recordedStats,
  SummaryBuilder,
  toNumber,
} from "../src/summary.ts";
import { expragDir, writeDenoRun, writePythonRun } from "./_query_fixtures.ts";
import { runScript, tempDir } from "./_helpers.ts";

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
  for (let i = 0; i < 6; i++) {
    writePythonRun(dir, {
      tracks: Array.from({ length: 200 }, () => ({ value: randomTrack(r) })),
    });
  }
  const files = (await listRuns({ dir })).map((run) => ({
    file: run.file,
    bytes: Deno.statSync(run.file).size,
  }));
  const paths = [
    "value.metrics.acc",
    "value.history.[].loss",
    "value.acc",
    "value.metrics.[].a",
    "value.step",
    'value.metrics."a.b"',
  ];
  // workers only: the main thread scans nothing itself
  const pool = createScanPool(createScanner(), {
    workers: 2,
    parallelBytes: 0,
    mainThread: false,
  });
  for (const p of paths) {
    const local = files.map((f) => scanPathStats(f.file, p));
    const viaWorkers = (await pool.scanFiles(files, p, false)).map((x) => {
      is(x.status, "ok", p);
      return x.status === "ok" && x.stats !== null
        ? recordedStats(x.stats)
        : null;
    });
    eq(viaWorkers, local, p);
    is(pool.workerFiles, files.length, p);
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

// ---------------------------------------------------------------------------
// The per-path scanner's line templates (src/query/scanner.ts) against the
// definition: SummaryBuilder over JSON.parse of every line. Lines are written
// as raw JSON text so that they can hold what JSON.stringify never writes:
// duplicate keys, escaped keys and values, whitespace, odd number forms.

/** A JSON text node: objects keep their raw key order and duplicates. */
type J =
  | { t: "num"; s: string }
  | { t: "str"; s: string } // the raw text between the quotes
  | { t: "lit"; s: "true" | "false" | "null" }
  | { t: "arr"; v: J[] }
  | { t: "obj"; v: [string, J][] }; // raw key text

const NUMBERS = [
  "0",
  "-0",
  "1",
  "-17",
  "0.5",
  "2.3620938239248144",
  "0.00034766250126018624",
  "1e5",
  "1E-7",
  "-2.5e+3",
  "1e400",
  "-1e400",
  "123456789012345678901234567890",
  "4.9e-324",
  "0.1",
];
const NUMERIC_STRINGS = ["NaN", "Infinity", "-Infinity"];
const OTHER_STRINGS = [
  "acc",
  'acc\\": 5',
  '\\"acc\\":1',
  "N\\u0061N", // "NaN" once parsed: numeric
  "Inf\\u0069nity",
  "nan",
  "",
  "é\\n",
  "\u2028",
  "value.metrics.acc",
  '{\\"metrics\\":{\\"acc\\":1}}',
];
const KEY_TEXTS = [
  "acc",
  "metrics",
  "loss",
  "a",
  "b",
  "a.b",
  "metrics.acc",
  "acc.x",
  "[]",
  "0",
  "é",
  "",
  "\\u0061cc", // "acc" escaped
  "metr\\u0069cs", // "metrics" escaped
  "ac\\u0063",
  "\u2028",
  "__proto__",
  "value",
  "kind",
];

function pick<T>(r: () => number, a: readonly T[]): T {
  return a[Math.floor(r() * a.length)];
}

function randomPrim(r: () => number): J {
  const x = r();
  if (x < 0.45) return { t: "num", s: pick(r, NUMBERS) };
  if (x < 0.6) return { t: "str", s: pick(r, NUMERIC_STRINGS) };
  if (x < 0.8) return { t: "str", s: pick(r, OTHER_STRINGS) };
  return { t: "lit", s: pick(r, ["true", "false", "null"] as const) };
}

/** A random tree, biased to hold the keys of the tested paths. */
function randomJ(r: () => number, depth: number): J {
  const x = r();
  if (depth > 4 || x < 0.3) return randomPrim(r);
  if (x < 0.45) {
    return {
      t: "arr",
      v: Array.from(
        { length: Math.floor(r() * 3) },
        () => randomJ(r, depth + 1),
      ),
    };
  }
  const v: [string, J][] = [];
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    v.push([pick(r, KEY_TEXTS), randomJ(r, depth + 1)]);
  }
  // often the path's own shape
  if (r() < 0.6) v.push(["acc", randomPrim(r)]);
  if (r() < 0.4) {
    v.push(["metrics", { t: "obj", v: [["acc", randomPrim(r)]] }]);
  }
  if (r() < 0.2) v.reverse();
  return { t: "obj", v };
}

/** The same shape with new primitive values (mostly of the same type). */
function refill(r: () => number, j: J): J {
  switch (j.t) {
    case "num":
      return r() < 0.98 ? { t: "num", s: pick(r, NUMBERS) } : randomPrim(r);
    case "str":
      if (NUMERIC_STRINGS.includes(j.s) && r() < 0.5) {
        return { t: "str", s: pick(r, NUMERIC_STRINGS) };
      }
      return r() < 0.97 ? { ...j } : randomPrim(r);
    case "lit":
      return r() < 0.97 ? { ...j } : randomPrim(r);
    case "arr":
      return {
        t: "arr",
        v: (r() < 0.9 ? j.v : j.v.slice(0, Math.floor(r() * 3))).map((x) =>
          refill(r, x)
        ),
      };
    case "obj":
      return { t: "obj", v: j.v.map(([k, x]) => [k, refill(r, x)]) };
  }
}

function ser(j: J, sp: { colon: string; comma: string }): string {
  switch (j.t) {
    case "num":
    case "lit":
      return j.s;
    case "str":
      return `"${j.s}"`;
    case "arr":
      return `[${j.v.map((x) => ser(x, sp)).join(sp.comma)}]`;
    case "obj":
      return `{${
        j.v.map(([k, x]) => `"${k}"${sp.colon}${ser(x, sp)}`).join(sp.comma)
      }}`;
  }
}

interface LineShape {
  head: [string, J][]; // top-level members (raw keys)
  sp: { colon: string; comma: string };
  crlf: boolean;
}

/** Stands for the file's run id in a shape. */
const RUN_ID = "@run_id@";

function randomShape(r: () => number): LineShape {
  const num = (s: string): J => ({ t: "num", s });
  const str = (s: string): J => ({ t: "str", s });
  const head: [string, J][] = [
    ["schema_version", num("1")],
    ["run_id", str(RUN_ID)],
    ["kind", str("track")],
    ["created_at", str("2025-01-09T07:00:00.052280+00:00")],
    ["elapsed_ms", num("52")],
    ["value", randomJ(r, 0)],
  ];
  if (r() < 0.3) head.splice(5, 0, ["note", str(pick(r, OTHER_STRINGS))]);
  const odd = r();
  if (odd < 0.04) head[2][1] = str("tr\\u0061ck"); // a track record all the same
  else if (odd < 0.08) head[2][1] = str("run_end");
  else if (odd < 0.1) head[4][1] = str("52"); // not a number: 0
  else if (odd < 0.12) head.splice(4, 1); // no elapsed_ms
  else if (odd < 0.14) head.push(["value", randomJ(r, 0)]); // duplicate
  else if (odd < 0.16) head.push(["kind", str("run_start")]);
  else if (odd < 0.18) head.push(["elapsed_ms", num("7")]);
  else if (odd < 0.2) head.splice(1, 1); // no run_id
  if (r() < 0.2) head.reverse();
  const spaced = r() < 0.3;
  return {
    head,
    sp: spaced ? { colon: ": ", comma: ", " } : { colon: ":", comma: "," },
    crlf: r() < 0.1,
  };
}

function lineOf(
  r: () => number,
  shape: LineShape,
  fresh: boolean,
  runId: string,
): string {
  const head = shape.head.map(([k, v]): [string, J] => [
    k,
    fresh && (k === "value" || k === "elapsed_ms") ? refill(r, v) : v,
  ]);
  if (fresh && r() < 0.5) {
    const ms = head.find(([k]) => k === "elapsed_ms");
    if (ms !== undefined && ms[1].t === "num") {
      ms[1] = { t: "num", s: String(Math.floor(r() * 1e6)) };
    }
  }
  return ser({ t: "obj", v: head }, shape.sp).replace(RUN_ID, runId) +
    (shape.crlf ? "\r" : "");
}

const BAD_LINES = [
  '{"kind":"track","elapsed_ms":1,"value":{"metrics":{"acc":1}}', // torn
  '{"kind":"track","elapsed_ms":1,"value":{"metrics":{"acc":1,}}}', // trailing comma
  '\u0000\u0000{"kind":"track","elapsed_ms":1,"value":{"metrics":{"acc":1}}}',
  '{"kind":"track","elapsed_ms":01,"value":{"metrics":{"acc":1}}}',
  '{"kind":"track","elapsed_ms":1,"value":{"metrics":{"acc":.5}}}',
  '{"kind":"track","elapsed_ms":1,"value":{"metrics":{"acc":"a\tb"}}}',
  '{"kind":"track","elapsed_ms":1,"value":{"metrics":{"acc":"\\x"}}}',
  "[1,2,3]",
  'garbage acc"',
];

/** The track records of a file's text that JSON.parse reads (others skipped). */
function* trackRecords(text: string): Generator<Record<string, unknown>> {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  for (const l of text.split("\n")) {
    let rec: unknown;
    try {
      rec = JSON.parse(l);
    } catch {
      continue;
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      continue;
    }
    const r = rec as Record<string, unknown>;
    if (r.kind === "track") yield r;
  }
}

/** SummaryBuilder over JSON.parse of each line: the definition. */
function oracle(text: string, path: string): PathStats | null {
  const b = new SummaryBuilder();
  for (const r of trackRecords(text)) {
    for (const v of leavesAt(r.value, path)) {
      b.addNumber(
        path,
        v,
        typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0,
      );
    }
  }
  return b.toJSON()[path] ?? null;
}

/** Every numeric leaf at a path of a file's track records, in order. */
function oracleValues(text: string, path: string): number[] {
  return [...trackRecords(text)].flatMap((r) => leavesAt(r.value, path));
}

/** A series equals the oracle's, NaN and -0 included. */
function sameValues(
  got: { n: number; values: Float64Array },
  want: number[],
  msg: string,
): void {
  is(got.n, want.length, msg);
  is(
    want.every((x, i) => Object.is(x, got.values[i])),
    true,
    `${msg}: values`,
  );
}

/** The numeric leaves at a path of a value, in SummaryBuilder's order. */
function leavesAt(value: unknown, path: string): number[] {
  const out: number[] = [];
  const visit = (v: unknown, p: string) => {
    if (typeof v === "number") {
      if (p === path) out.push(v);
    } else if (typeof v === "string") {
      const n = toNumber(v);
      if (n !== undefined && p === path) out.push(n);
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, listPath(p));
    } else if (v !== null && typeof v === "object") {
      for (const k in v) {
        if (Object.hasOwn(v, k)) {
          visit((v as Record<string, unknown>)[k], childPath(p, k));
        }
      }
    }
  };
  visit(value, "value");
  return out;
}

const SCAN_PATHS = [
  "value.metrics.acc",
  "value.acc",
  "value",
  "value.metrics.[].acc",
  "value.[].acc",
  "value.a.b",
  "value.é",
  "value.metrics",
  "value.__proto__",
  "value.\u2028",
];

Deno.test("scanner property: line templates give SummaryBuilder's statistics over JSON.parse", () => {
  const dir = tempDir("exprag-scan-prop-");
  // one scanner for every file: templates learned in one file are used in
  // the next ones (other run ids, other shapes)
  const shared = createScanner();
  let files = 0, lines = 0;
  // shapes shared by several files, as runs of one experiment share theirs
  const pool = Array.from({ length: 40 }, (_, i) => randomShape(rng(i + 1)));
  for (let seed = 1; seed <= 150; seed++) {
    const r = rng(seed * 7919);
    const runId = crypto.randomUUID();
    const shapes = Array.from(
      { length: 1 + Math.floor(r() * 3) },
      () =>
        r() < 0.8
          ? pool[Math.floor(seed / 10) * 2 + Math.floor(r() * 3)]
          : randomShape(r),
    );
    const out: string[] = [];
    if (r() < 0.5) {
      out.push(JSON.stringify({
        schema_version: 1,
        run_id: runId,
        kind: "run_start",
        elapsed_ms: 0,
        value: { git: { status: " M a\n" } },
      }));
    }
    const n = 20 + Math.floor(r() * 300);
    for (let i = 0; i < n; i++) {
      const x = r();
      if (x < 0.01) out.push(pick(r, BAD_LINES));
      else if (x < 0.02) out.push("");
      else if (x < 0.025) out.push("  \t");
      else out.push(lineOf(r, pick(r, shapes), r() < 0.95, runId));
    }
    let text = out.join("\n") + (r() < 0.9 ? "\n" : "");
    if (r() < 0.05) text = "\ufeff" + text;
    const file = join(dir, `${seed}.jsonl`);
    Deno.writeTextFileSync(file, text);
    files++;
    lines += out.length;
    for (const path of SCAN_PATHS) {
      const want = oracle(text, path);
      eq(scanPathStats(file, path), want, `seed ${seed} ${path}`);
      for (const s of [shared, createScanner()]) {
        const got = s.scanFile(file, path, false);
        if (got.status === "ok") {
          sameValues(got, oracleValues(text, path), `seed ${seed} ${path}`);
        } else {
          is(got.status, "invalid", `seed ${seed} ${path}`);
        }
        const stats = s.scanStats(file, path, false);
        is(stats.status, got.status, `seed ${seed} ${path} (scanStats)`);
        if (stats.status === "ok") {
          eq(
            stats.stats === null ? null : recordedStats(stats.stats),
            want,
            `seed ${seed} ${path} (scanStats)`,
          );
        }
        const firstOnly = s.scanStats(file, path, true);
        if (firstOnly.status === "ok" && want !== null) {
          const f = firstOnly.stats!;
          is(f.count, 1);
          eq(f.first, toNumber(want.first), `seed ${seed} ${path} first`);
          is(f.firstMs, want.first_ms);
        }
      }
    }
  }
  is(files, 150);
  is(lines > 20000, true);
  // most lines were read by templates (the rest the exact way)
  for (const p of ["value.metrics.acc", "value.acc", "value.a.b"]) {
    is(shared.templateLines(p) > lines / 8, true, p);
  }
  Deno.removeSync(dir, { recursive: true });
});

/** SummaryBuilder.add over JSON.parse of each track line: every path. */
function oracleAll(text: string): SummaryBuilder {
  const b = new SummaryBuilder();
  for (const r of trackRecords(text)) {
    b.add(r.value, typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0);
  }
  return b;
}

Deno.test("scanner property: the scan of every path gives SummaryBuilder's statistics over JSON.parse, in its order", () => {
  const dir = tempDir("exprag-scan-all-");
  let ok = 0, lines = 0, templated = 0;
  const pool = Array.from({ length: 40 }, (_, i) => randomShape(rng(i + 1)));
  for (let seed = 1; seed <= 150; seed++) {
    const r = rng(seed * 104729);
    const runId = crypto.randomUUID();
    const shapes = Array.from(
      { length: 1 + Math.floor(r() * 3) },
      () => r() < 0.7 ? pick(r, pool) : randomShape(r),
    );
    const bad = r() < 0.2; // else only valid lines: the file is read
    const out: string[] = [];
    const n = 20 + Math.floor(r() * 300);
    for (let i = 0; i < n; i++) {
      const x = r();
      if (bad && x < 0.01) out.push(pick(r, BAD_LINES));
      else if (x < 0.02) out.push("");
      else out.push(lineOf(r, pick(r, shapes), r() < 0.95, runId));
    }
    let text = out.join("\n") + (r() < 0.9 ? "\n" : "");
    if (r() < 0.05) text = "\ufeff" + text;
    const file = join(dir, `${seed}.jsonl`);
    Deno.writeTextFileSync(file, text);
    const got = scanAllPaths(file);
    if (got.status !== "ok") {
      is(got.status, "invalid", `seed ${seed}`);
      is(bad, true, `seed ${seed}: only valid lines, yet not read`);
      continue;
    }
    const want = oracleAll(text);
    const paths = want.toJSON();
    eq(got.paths, paths, `seed ${seed}`);
    eq(Object.keys(got.paths), Object.keys(paths), `seed ${seed}: order`);
    is(got.truncated, want.truncated);
    ok++;
    lines += out.length;
    templated += got.templateLines;
  }
  is(ok > 100, true);
  // most lines were read by templates
  is(templated > lines / 4, true, `${templated} of ${lines}`);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("scanner: the scan of every path keeps SummaryBuilder's key order (integer-like, duplicate, escaped keys)", () => {
  const dir = tempDir("exprag-scan-all-cases-");
  const head = '{"schema_version":1,"run_id":"r1","kind":"track","elapsed_ms":';
  const values = [
    '{"b":#,"0":#,"a":{"7":#,"x":#}}', // integer-like keys go first
    '{"a":#,"b":#,"a":"#"}', // a duplicate keeps its place, takes the last value
    '{"\\u0061":#,"b":[#,"N\\u0061N",{"c":#}]}', // escaped key, escaped NaN
    '{"__proto__":{"x":#},"h":[[#,#],[]],"s":"Infinity","e":"N\\u0061N","t":true,"n":null}',
  ];
  for (const [k, v] of values.entries()) {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      lines.push(`${head}${i},"value":${v.replaceAll("#", String(i / 4))}}`);
    }
    const text = lines.join("\n") + "\n";
    const file = join(dir, `${k}.jsonl`);
    Deno.writeTextFileSync(file, text);
    const got = scanAllPaths(file);
    is(got.status, "ok", `case ${k}`);
    if (got.status !== "ok") continue;
    const want = oracleAll(text).toJSON();
    eq(got.paths, want, `case ${k}`);
    eq(Object.keys(got.paths), Object.keys(want), `case ${k}: order`);
    // shapes a template reproduces exactly are read by templates
    is(got.templateLines > 250, k === 3, `case ${k}: templates`);
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("scanner: keys at several depths, in strings, escaped, dotted and duplicated", () => {
  const dir = tempDir("exprag-scan-cases-");
  const head = '{"schema_version":1,"run_id":"r1","kind":"track","elapsed_ms":';
  const cases: [string, string[]][] = [
    // [path, value texts]: each value text repeated with a changing number
    ["value.metrics.acc", [
      '{"acc":9,"metrics":{"acc":#,"x":{"acc":8}},"y":{"metrics":{"acc":7}}}',
    ]],
    ["value.metrics.acc", [
      '{"note":"\\"metrics\\":{\\"acc\\":5}","metrics":{"acc":#}}',
    ]],
    ["value.metrics.acc", [
      '{"metrics":{"\\u0061cc":#}}',
      '{"metrics":{"acc":#}}',
    ]],
    ["value.metrics.acc", [
      '{"metr\\u0069cs":{"acc":#}}',
      '{"metrics":{"acc":#}}',
    ]],
    ["value.metrics.acc", [
      '{"metrics":{"acc":1,"acc":#}}',
      '{"metrics":{"acc":#}}',
    ]],
    ["value.metrics.acc", ['{"metrics":{"acc":#},"metrics":{"loss":1}}']],
    ["value.metrics.acc", ['{"metrics.acc":3,"metrics":{"acc":#}}']],
    ["value.metrics.acc", ['{"metrics":{"acc":#},"metrics.acc":3}']],
    ["value.metrics.acc", ['{"metrics":{"acc":"N\\u0061N","b":#}}']],
    ["value.metrics.acc", ['{"metrics":[{"acc":#}]}', '{"metrics":{"acc":#}}']],
    ["value.metrics.acc", [
      '{"metrics":{"acc":{"acc":#}}}',
      '{"metrics":{"acc":#}}',
    ]],
    ["value.metrics.acc", [
      '{ "metrics" : { "acc" : # } }',
      '{"metrics":{"acc":#}}',
    ]],
    ["value.a.b", ['{"a":{"b":#},"a.b":5}', '{"a.b":#}', '{"a":{"b":#}}']],
    ["value.metrics.[].acc", ['{"metrics":[{"acc":#},{"acc":2}]}']],
    ["value.acc", ['{"acc":#,"acc":"NaN"}', '{"acc":"Infinity"}', '{"acc":#}']],
    ["value.a/b", ['{"a\\/b":#}', '{"a/b":#}', '{"c":1}', '{"c":2}']],
    // whole lines (not starting with "{")
    ["value.acc", [
      ' {"kind":"track","elapsed_ms":#,"value":{"acc":#},"value":{"b":1}}',
    ]],
    ["value.acc", [
      ' {"kind":"track","elapsed_ms":#,"elapsed_ms":"1","value":{"acc":#}}',
    ]],
    ["value.acc", [' {"kind":"track","value":{"acc":#}}']],
    ["value.acc", [' {"kind":"track","value":{"acc":#},"kind":"run_end"}']],
    ["value.acc", [' {"kind":"tr\\u0061ck","elapsed_ms":2,"value":{"acc":#}}']],
    ["value.acc", [' {"value":{"acc":#},"elapsed_ms":#,"kind":"track"} \r']],
    ["value.acc", [' {"kind":"track","elapsed_ms":#,"value":{"acc":#}} x']], // last: invalid
  ];
  // cases where the plain shape is read by a template
  const templated = [0, 1, 2, 3, 4, 9, 10, 11, 12, 14, 18, 21];
  for (const [k, [path, shapes]] of cases.entries()) {
    const lines: string[] = [];
    for (let i = 0; i < 400; i++) {
      const shape = shapes[i % shapes.length];
      const v = shape.replaceAll("#", String(i % 7 === 0 ? -i : i / 8));
      lines.push(shape.startsWith("{") ? `${head}${i},"value":${v}}` : v);
    }
    const text = lines.join("\n") + "\n";
    const file = join(dir, `${k}.jsonl`);
    Deno.writeTextFileSync(file, text);
    const want = oracle(text, path);
    eq(scanPathStats(file, path), want, `case ${k}`);
    // a fresh scanner learns templates from this file's lines at once
    const s = createScanner();
    const got = s.scanFile(file, path, false);
    is(got.status, k === cases.length - 1 ? "invalid" : "ok", `case ${k}`);
    if (got.status !== "ok") continue;
    sameValues(got, oracleValues(text, path), `case ${k} (fresh scanner)`);
    const st = s.scanStats(file, path, false);
    eq(
      st.status === "ok" && st.stats !== null ? recordedStats(st.stats) : null,
      want,
      `case ${k} (scanStats)`,
    );
    if (templated.includes(k)) is(s.templateLines(path) > 100, true, `${k}`);
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("scanner: a record of another run in a run's file is never read by a template", () => {
  const dir = tempDir("exprag-scan-foreign-");
  const rec = (id: string, i: number) =>
    `{"schema_version":1,"run_id":"${id}","kind":"track","elapsed_ms":${i},"value":{"acc":${i}}}`;
  const lines = Array.from({ length: 300 }, (_, i) => rec("run-a", i));
  lines.splice(200, 0, rec("run-b", 999));
  const file = join(dir, "a.jsonl");
  Deno.writeTextFileSync(file, lines.join("\n") + "\n");
  const s = createScanner();
  is(s.scanFile(file, "value.acc", false).status, "invalid");
  // and a template learned from run-a's file reads run-b's own file
  const other = join(dir, "b.jsonl");
  Deno.writeTextFileSync(
    other,
    Array.from({ length: 50 }, (_, i) => rec("run-b", i)).join("\n") + "\n",
  );
  const r = s.scanFile(other, "value.acc", false);
  is(r.status, "ok");
  if (r.status === "ok") is(r.n, 50);
  Deno.removeSync(dir, { recursive: true });
});
