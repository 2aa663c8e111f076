// Section 3: "Which run has the best accuracy?" over R runs × K track
// records, on two data sets holding the same values: ours WITH run_end
// summaries (computed by src/summary.ts SummaryBuilder) and the Python
// exprag's shape WITHOUT run_end. Every tool runs as a cold subprocess (as
// an agent calls it); wall time and peak RSS per call, medians over rounds.
//
// Usage: deno run -A bench/query.ts [--smoke] [--runs=200] [--records=5000] [--rounds=5] [--keep-data]
import { join } from "node:path";
import { genRuns, type RunsInfo } from "./data.ts";
import {
  BENCH,
  cliMissing,
  DATA,
  DENO,
  DENO_CHILD_FLAGS,
  emit,
  FLAGS,
  log,
  measure,
  type Measured,
  median,
  numberFlag,
  oursArgs,
  pairedRatio,
  peak,
  rm,
  type Row,
  type Section,
  target,
} from "./lib.ts";
import { hasCommand } from "../tests/_helpers.ts";

const RUNS = numberFlag("runs", [5, 200]);
const RECORDS = numberFlag("records", [300, 5000]);
const ROUNDS = numberFlag("rounds", [1, 5]);

interface Tool {
  name: string;
  /** What the row shows for a question. */
  label: (by: By) => string;
  role: Row["role"];
  rounds: number;
  missing?: string;
  /** Skip the warm-up call (slow tools; the page cache is warm anyway). */
  noWarm?: boolean;
  run: (dir: string, by: By) => Promise<Measured>;
  /** Whether the answer names the expected run. */
  ok: (m: Measured, runId: string) => boolean;
  /** In-process seconds reported by the tool itself, if any. */
  inner?: (m: Measured) => number | null;
}

function jsonAnswer(m: Measured): { run_id?: string; seconds?: number } {
  try {
    const t = m.stdout.trim();
    return JSON.parse(t.slice(t.lastIndexOf("\n") + 1));
  } catch {
    return {};
  }
}

const runFiles = (dir: string) =>
  [...Deno.readDirSync(join(dir, "runs"))].map((e) => join(dir, "runs", e.name))
    .sort();

type By = "last" | "max";
const QUESTIONS: By[] = ["last", "max"];
/** The read-only loop: the floor of a full scan (issue 12, target 5). */
const FLOOR = "read";

const jq = (by: By) =>
  `reduce (inputs | select(.kind == "track" and .value.metrics.acc != null)
  | [.run_id, .value.metrics.acc]) as $x ({}; .[$x[0]] = ${
    by === "max" ? "([.[$x[0]], $x[1]] | max)" : "$x[1]"
  })
  | to_entries | max_by(.value) | {run_id: .key, value: .value}`;

const tools: Tool[] = [
  {
    name: "duckdb",
    label: (by) =>
      `DuckDB read_json, explicit schema, ${
        by === "max" ? "max(acc)" : "arg_max(acc, elapsed_ms)"
      } (npm:@duckdb/node-api)`,
    role: "reference",
    rounds: ROUNDS,
    run: (dir, by) =>
      measure(DENO, [
        "run",
        "-A",
        ...DENO_CHILD_FLAGS,
        join(BENCH, "peer_duckdb.ts"),
        dir,
        by,
      ]),
    ok: (m, id) => jsonAnswer(m).run_id === id,
    inner: (m) => jsonAnswer(m).seconds ?? null,
  },
  {
    name: "naive",
    label: () => "naive line-by-line JSON.parse (Deno)",
    role: "peer",
    rounds: ROUNDS,
    run: (dir, by) =>
      measure(DENO, [
        "run",
        ...DENO_CHILD_FLAGS,
        `--allow-read=${dir}`,
        join(BENCH, "peer_naive.ts"),
        dir,
        by,
      ]),
    ok: (m, id) => jsonAnswer(m).run_id === id,
    inner: (m) => jsonAnswer(m).seconds ?? null,
  },
  {
    name: "jq",
    label: () => "jq, one reduce over all files",
    role: "peer",
    rounds: 1,
    noWarm: true,
    missing: hasCommand("jq")
      ? undefined
      : "jq not installed (apt-get install -y jq)",
    run: (dir, by) => measure("jq", ["-n", "-c", jq(by), ...runFiles(dir)]),
    ok: (m, id) => jsonAnswer(m).run_id === id,
  },
  {
    name: "read",
    label: () =>
      "floor: Deno loop reading every file into one reused 1 MiB buffer (no answer)",
    role: "peer",
    rounds: ROUNDS,
    run: (dir) =>
      measure(DENO, [
        "run",
        ...DENO_CHILD_FLAGS,
        `--allow-read=${dir}`,
        join(BENCH, "peer_read.ts"),
        dir,
      ]),
    ok: (m) => m.code === 0 && typeof jsonAnswer(m).seconds === "number",
    inner: (m) => jsonAnswer(m).seconds ?? null,
  },
  {
    name: "ours",
    label: (by) =>
      `ours: exprag best value.metrics.acc${by === "max" ? " --by max" : ""}`,
    role: "ours",
    rounds: ROUNDS,
    missing: cliMissing(),
    run: (dir, by) =>
      measure(
        DENO,
        oursArgs(dir, [
          "best",
          "value.metrics.acc",
          ...(by === "max" ? ["--by", "max"] : []),
        ]),
      ),
    ok: (m, id) => m.code === 0 && _firstId(m.stdout) === id,
  },
];

/** What a row shows for a wrong or failed answer (exit code, start of output). */
function wrongAnswer(m: Measured): string {
  return `wrong or failed answer (exit ${m.code}): ${
    (m.stdout + m.stderr).trim().slice(0, 300)
  }`;
}

/** The run id in the first data row of our table output (or any UUID in it). */
function _firstId(out: string): string | undefined {
  return out.match(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/,
  )?.[0];
}

const sets: { label: string; info: RunsInfo }[] = [];
{
  const g0 = performance.now();
  sets.push({
    label: "with run_end (ours)",
    info: genRuns(join(DATA, "query-end"), {
      runs: RUNS,
      records: RECORDS,
      withEnd: true,
      python: false,
    }),
  });
  sets.push({
    label: "without run_end (Python shape)",
    info: genRuns(join(DATA, "query-noend"), {
      runs: RUNS,
      records: RECORDS,
      withEnd: false,
      python: true,
    }),
  });
  log(
    `query: generated 2 × ${RUNS} runs × ${RECORDS} records (${
      sets.map((s) => (s.info.bytes / 1e6).toFixed(0) + " MB").join(" + ")
    }) in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
  );
}

const rows: Row[] = [];
const notes: string[] = [];
const wall = new Map<string, number[]>();
const rss = new Map<string, number[]>();
const inner = new Map<string, number[]>();
const bad = new Map<string, string>();

for (const by of QUESTIONS) {
  for (const set of sets) {
    const dir = set.info.dir;
    const label = `${set.label}, by ${by}`;
    const expected = by === "max"
      ? set.info.bestMax.run_id
      : set.info.best.run_id;
    const active = tools.filter((t) => !t.missing);
    // Warm-up: page cache, Deno's module cache, DuckDB's native library.
    for (const t of active) {
      if (t.noWarm) continue;
      const m = await t.run(dir, by);
      if (m.code !== 0 || !t.ok(m, expected)) {
        bad.set(`${label}|${t.name}`, wrongAnswer(m));
      }
    }
    const maxRounds = Math.max(...active.map((t) => t.rounds));
    for (let r = 0; r < maxRounds; r++) {
      for (let k = 0; k < active.length; k++) {
        const t = active[(k + r) % active.length];
        if (r >= t.rounds) continue;
        const key = `${label}|${t.name}`;
        const m = await t.run(dir, by);
        if (t.noWarm && r === 0 && (m.code !== 0 || !t.ok(m, expected))) {
          bad.set(key, wrongAnswer(m));
        }
        if (!wall.has(key)) [wall, rss, inner].forEach((x) => x.set(key, []));
        wall.get(key)!.push(m.seconds);
        if (m.maxRssMiB !== null) rss.get(key)!.push(m.maxRssMiB);
        const i = t.inner?.(m);
        if (i != null) inner.get(key)!.push(i);
      }
    }
    const refKey = `${label}|${tools[0].name}`;
    const floorKey = `${label}|${FLOOR}`;
    for (const t of tools) {
      const key = `${label}|${t.name}`;
      const name = `${label}: ${t.label(by)}`;
      if (t.missing || bad.has(key)) {
        rows.push({
          name,
          role: t.role,
          cells: {},
          missing: t.missing ?? bad.get(key),
        });
        continue;
      }
      const w = wall.get(key)!;
      const ref = wall.get(refKey);
      rows.push({
        name,
        role: t.role,
        cells: {
          "wall s": median(w),
          "peak RSS MiB": peak(rss.get(key)!),
          "× DuckDB (time)": ref && t.rounds === tools[0].rounds
            ? pairedRatio(w, ref)
            : ref
            ? median(w) / median(ref)
            : null,
          "× read loop (time)": wall.has(floorKey) && t.rounds === ROUNDS
            ? pairedRatio(w, wall.get(floorKey)!)
            : null,
          "in-process s": inner.get(key)!.length
            ? median(inner.get(key)!)
            : null,
        },
      });
    }
  }
}

const OURS_TOOL = tools.find((t) => t.name === "ours")!;
const OURS = OURS_TOOL.name;
const REF = tools[0].name;
function oursRatio(label: string, ref = REF): number | null {
  if (!wall.has(`${label}|${OURS}`)) return null;
  const k = `${label}|${OURS}`;
  if (OURS_TOOL.missing || bad.has(k) || !wall.has(`${label}|${ref}`)) {
    return null;
  }
  return pairedRatio(wall.get(k)!, wall.get(`${label}|${ref}`)!);
}
const oursRss = QUESTIONS.flatMap((by) =>
  sets.flatMap((s) => rss.get(`${s.label}, by ${by}|${OURS}`) ?? [])
);

notes.push(
  `${RUNS} runs × ${
    RECORDS.toLocaleString("en-US")
  } track records per data set (${
    sets.map((s) => `${s.label}: ${(s.info.bytes / 1e6).toFixed(0)} MB`).join(
      "; ",
    )
  }); the two sets hold the same values: best by last ${
    sets[0].info.best.run_id.slice(0, 8)
  } (acc ${sets[0].info.best.last.toFixed(4)}), best by max ${
    sets[0].info.bestMax.run_id.slice(0, 8)
  } (acc ${sets[0].info.bestMax.max.toFixed(4)}).`,
  "Two questions: by last value (our CLI's default, as MLflow/W&B summarize) and --by max (the highest value ever reached: without run_end it needs every record).",
  `Wall time of a cold subprocess per question (includes runtime start-up; DuckDB's "in-process s" is its query alone, after loading); ${ROUNDS} rounds interleaved, medians; peak RSS is the maximum over rounds (${"GNU time -v"} when present, else /proc VmHWM polling).`,
  `Our CLI is run with only --allow-read=<dir> (plus --no-prompt --no-lock).`,
  "Every answer is checked against the generator's expected best run; a wrong answer leaves the row empty with the output.",
  "Not measurable here: the Python exprag's helpers (issue's reference run: 23.5 s, 2.6 GB) — PyPI is not reachable from this machine.",
);
notes.push(
  `"× read loop" is against a Deno loop that only reads every run file into one reused 1 MiB buffer, in the same rounds (the I/O floor of a full scan; a cold subprocess like the others).`,
  `${navigator.hardwareConcurrency} cores: the full scan uses the main thread plus cores − 1 workers, at most 3.`,
);
if (OURS_TOOL.missing) notes.push(`ours not measured: ${OURS_TOOL.missing}.`);
for (const [k, v] of bad) notes.push(`${k}: ${v}`);

const section: Section = {
  id: "query",
  title: '3. "Which run has the best accuracy?" (by last value, and by max)',
  columns: [
    "wall s",
    "peak RSS MiB",
    "× DuckDB (time)",
    "× read loop (time)",
    "in-process s",
  ],
  rows,
  targets: [
    target(
      "best (by last), with run_end ≤ 1.0× DuckDB",
      oursRatio(`${sets[0].label}, by last`),
      "<=",
      1.0,
    ),
    target(
      "best --by max, with run_end ≤ 1.0× DuckDB",
      oursRatio(`${sets[0].label}, by max`),
      "<=",
      1.0,
    ),
    target(
      "best (by last), without run_end ≤ 3× DuckDB",
      oursRatio(`${sets[1].label}, by last`),
      "<=",
      3.0,
    ),
    target(
      "best --by max, without run_end ≤ 3× DuckDB (full scan)",
      oursRatio(`${sets[1].label}, by max`),
      "<=",
      3.0,
    ),
    target(
      "best --by max, without run_end ≤ 0.7× DuckDB (full scan, issue 12)",
      oursRatio(`${sets[1].label}, by max`),
      "<=",
      0.7,
    ),
    target(
      "best --by max, without run_end ≤ 6× the read-only loop (issue 12)",
      oursRatio(`${sets[1].label}, by max`, FLOOR),
      "<=",
      6,
    ),
    target(
      "best, peak memory ≤ 256 MiB",
      peak(oursRss),
      "<=",
      256,
      " MiB",
    ),
  ],
  notes,
};
if (!FLAGS["keep-data"]) { for (const s of sets) rm(s.info.dir); }
emit(section);
