// Section 4: `exprag runs` over many small runs, and the CLI's start-up on
// an empty exprag directory against `deno run` of an empty script (same
// flags). Cold subprocesses, interleaved rounds, medians.
//
// Usage: deno run -A bench/cli_start.ts [--smoke] [--runs=10000] [--rounds=R] [--keep-data]
import { join } from "node:path";
import { genSmallRuns } from "./data.ts";
import {
  cliMissing,
  DATA,
  DENO,
  emit,
  FLAGS,
  freshDir,
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
  timedRows,
} from "./lib.ts";

const RUNS = numberFlag("runs", [200, 10_000]);
const ROUNDS = numberFlag("rounds", [3, 15]);
const base = join(DATA, "cli");
rm(base);
const emptyDir = freshDir(join(base, "empty"));
const emptyScript = join(base, "empty.ts");
Deno.writeTextFileSync(emptyScript, "");
const g0 = performance.now();
const many = genSmallRuns(join(base, "many"), RUNS);
log(
  `cli: generated ${RUNS} small runs (${(many.bytes / 1e6).toFixed(1)} MB) in ${
    ((performance.now() - g0) / 1000).toFixed(1)
  } s`,
);

const missing = cliMissing();

/** Why a CLI call failed (exit code and the start of stderr), or undefined. */
function failed(m: Measured): string | undefined {
  return m.code === 0
    ? undefined
    : `exit ${m.code}: ${m.stderr.trim().slice(0, 200)}`;
}

interface Case {
  name: string;
  role: Row["role"];
  run: () => Promise<Measured>;
  check?: (m: Measured) => string | undefined;
}
const cases: Case[] = [
  {
    name: "deno run empty.ts (same flags)",
    role: "reference",
    run: () =>
      measure(DENO, [
        "run",
        "--no-prompt",
        "--no-lock",
        `--allow-read=${emptyDir}`,
        emptyScript,
      ]),
  },
  {
    name: "ours: exprag runs, empty directory (start-up)",
    role: "ours",
    run: () => measure(DENO, oursArgs(emptyDir, ["runs"])),
    check: failed,
  },
  {
    name: `ours: exprag runs, ${RUNS.toLocaleString("en-US")} runs`,
    role: "ours",
    run: () => measure(DENO, oursArgs(many.dir, ["runs"])),
    check: (m) => {
      if (m.code !== 0) return failed(m);
      const lines = m.stdout.trimEnd().split("\n").length;
      return lines >= RUNS
        ? undefined
        : `only ${lines} output lines for ${RUNS} runs`;
    },
  },
  {
    name: `ours: exprag runs --limit 10, ${RUNS.toLocaleString("en-US")} runs`,
    role: "ours",
    run: () => measure(DENO, oursArgs(many.dir, ["runs", "--limit", "10"])),
    check: failed,
  },
];

const active = cases.filter((c) => c.role !== "ours" || !missing);
const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const rss = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const bad = new Map<string, string>();
for (const c of active) {
  const m = await c.run(); // warm-up (module cache, page cache)
  const why = c.check?.(m);
  if (why) bad.set(c.name, why);
}
for (let r = 0; r < ROUNDS; r++) {
  for (let k = 0; k < active.length; k++) {
    const c = active[(k + r) % active.length];
    const m = await c.run();
    wall.get(c.name)!.push(m.seconds);
    if (m.maxRssMiB !== null) rss.get(c.name)!.push(m.maxRssMiB);
  }
}

const ref = wall.get(cases[0].name)!;
const rows: Row[] = timedRows(cases, {
  wall,
  bad,
  missing,
  cells: (c, w) => ({
    "wall s": median(w),
    "peak RSS MiB": peak(rss.get(c.name)!),
    "× deno empty": pairedRatio(w, ref),
  }),
});
const startup = wall.get(cases[1].name)!;
const notes = [
  `${ROUNDS} rounds interleaved, medians of cold subprocesses; ratios are medians of same-round ratios. Flags: --no-prompt --no-lock --allow-read=<dir>.`,
  `${RUNS.toLocaleString("en-US")} finished runs of 7 records each (${
    (many.bytes / 1e6).toFixed(1)
  } MB), in our format.`,
];
if (missing) notes.push(`ours not measured: ${missing}.`);
for (const [k, v] of bad) notes.push(`${k}: ${v}`);
const section: Section = {
  id: "cli",
  title: "4. CLI start-up and `exprag runs` over many runs",
  columns: ["wall s", "peak RSS MiB", "× deno empty"],
  rows,
  targets: [
    target(
      "CLI start-up (empty dir) ≤ 2× deno run empty script",
      startup.length && !bad.has(cases[1].name)
        ? pairedRatio(startup, ref)
        : null,
      "<=",
      2,
    ),
    target(
      `exprag runs over ${
        RUNS.toLocaleString("en-US")
      } runs: peak memory ≤ 256 MiB`,
      bad.has(cases[2].name) ? null : peak(rss.get(cases[2].name)!),
      "<=",
      256,
      " MiB",
    ),
  ],
  notes,
};
if (!FLAGS["keep-data"]) rm(base);
emit(section);
