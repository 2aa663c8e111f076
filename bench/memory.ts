// Section 5: memory and the shapes of issue 12. `runs`, `best`, `show`,
// `values` and `export` over many finished runs with 4 and with 200 metrics (peak RSS,
// time per run), and over one long run without run_end (2,000,000 records
// against 20,000 and 200,000: what a command costs for the part it does
// not need). Cold subprocesses, rounds interleaved, medians.
//
// Usage: deno run -A bench/memory.ts [--smoke] [--runs=100000] [--long=2000000]
//        [--rounds=R] [--keep-data] [--cli=PATH (another checkout's cli.ts)]
import { join } from "node:path";
import { genLong, genWide } from "./shapes.ts";
import {
  CLI_PATH,
  cliMissing,
  DATA,
  DENO,
  emit,
  exists,
  FLAGS,
  log,
  measure,
  type Measured,
  median,
  numberFlag,
  peak,
  rm,
  type Row,
  type Section,
  target,
} from "./lib.ts";

const RUNS = numberFlag("runs", [200, 100_000]);
const LONG = numberFlag("long", [20_000, 2_000_000]);
const SHORT = Math.max(1, Math.round(LONG / 100));
const MID = Math.max(1, Math.round(LONG / 10));
const ROUNDS = numberFlag("rounds", [1, 3]);
const CLI = typeof FLAGS.cli === "string" ? FLAGS.cli : CLI_PATH;
const base = join(DATA, "memory");

/** A shape's directory, generated once (reused while its marker matches). */
function shape(name: string, gen: (dir: string) => unknown): string {
  const dir = join(base, name);
  const marker = join(dir, "generated.json");
  if (!exists(marker)) {
    const t0 = performance.now();
    const info = gen(dir);
    Deno.writeTextFileSync(marker, JSON.stringify(info));
    log(
      `memory: generated ${name} in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
  }
  return dir;
}

const narrow = shape(
  `wide-${RUNS}x4`,
  (d) => genWide(d, { runs: RUNS, metrics: 4 }),
);
const wide = shape(
  `wide-${RUNS}x200`,
  (d) => genWide(d, { runs: RUNS, metrics: 200 }),
);
const long = shape(`long-${LONG}`, (d) => genLong(d, LONG));
const mid = shape(`long-${MID}`, (d) => genLong(d, MID));
const short = shape(`long-${SHORT}`, (d) => genLong(d, SHORT));

function cli(dir: string, args: string[]): Promise<Measured> {
  return measure(DENO, [
    "run",
    "--no-prompt",
    "--no-lock",
    `--allow-read=${dir}`,
    CLI,
    ...args,
    "--dir",
    dir,
  ], { discardStdout: true }); // an export is gigabytes; only exit codes are checked
}

interface Case {
  name: string;
  dir: string;
  args: string[];
  /** Runs the case covers, for the time per run. */
  runs?: number;
}
const n = RUNS.toLocaleString("en-US");
const cases: Case[] = [];
for (const [dir, m] of [[narrow, 4], [wide, 200]] as const) {
  cases.push(
    { name: `runs, ${n} runs × ${m} metrics`, dir, args: ["runs"], runs: RUNS },
    {
      name: `best value.metrics.m0, ${n} runs × ${m} metrics`,
      dir,
      args: ["best", "value.metrics.m0"],
      runs: RUNS,
    },
    {
      name: `show latest, ${n} runs × ${m} metrics`,
      dir,
      args: ["show", "latest"],
    },
    {
      name: `values value.metrics.m0 --limit 10, ${n} runs × ${m} metrics`,
      dir,
      args: ["values", "value.metrics.m0", "--limit", "10"],
    },
    {
      name: `export (csv), ${n} runs × ${m} metrics`,
      dir,
      args: ["export"],
      runs: RUNS,
    },
  );
}
for (const [dir, k] of [[long, LONG], [mid, MID], [short, SHORT]] as const) {
  const r = `1 run × ${k.toLocaleString("en-US")} records, no run_end`;
  if (k !== MID) {
    cases.push({
      name: `values --limit 10, ${r}`,
      dir,
      args: ["values", "value.metrics.acc", "--run", "latest", "--limit", "10"],
    }, {
      name: `show latest, ${r}`,
      dir,
      args: ["show", "latest"],
    });
  }
  if (k !== SHORT) {
    cases.push({
      name: `best value.metrics.acc --by max, ${r}`,
      dir,
      args: ["best", "value.metrics.acc", "--by", "max", "--status", "any"],
    });
  }
}

const missing = cliMissing();
const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const rss = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const bad = new Map<string, string>();
if (!missing) {
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(k + r) % cases.length];
      const m = await cli(c.dir, c.args);
      if (m.code !== 0) {
        bad.set(c.name, `exit ${m.code}: ${m.stderr.trim().slice(0, 200)}`);
        continue;
      }
      wall.get(c.name)!.push(m.seconds);
      if (m.maxRssMiB !== null) rss.get(c.name)!.push(m.maxRssMiB);
    }
  }
}

const rows: Row[] = cases.map((c): Row => {
  const w = wall.get(c.name)!;
  if (!w.length || bad.has(c.name)) {
    return {
      name: `ours: ${c.name}`,
      role: "ours",
      cells: {},
      missing: bad.get(c.name) ?? missing ?? "not measured",
    };
  }
  return {
    name: `ours: ${c.name}`,
    role: "ours",
    cells: {
      "wall s": median(w),
      "peak RSS MiB": peak(rss.get(c.name)!),
      "µs per run": c.runs === undefined ? null : median(w) / c.runs * 1e6,
    },
  };
});

const secs = (name: string) => {
  const w = wall.get(name)!;
  return w.length && !bad.has(name) ? median(w) : null;
};
const mib = (name: string) => {
  const r = rss.get(name)!;
  return r.length && !bad.has(name) ? peak(r) : null;
};
const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? null : a / b;
const byName = (prefix: string, suffix: string) =>
  cases.find((c) => c.name.startsWith(prefix) && c.name.endsWith(suffix))!
    .name;

const peaks = cases.filter((c) => c.runs !== undefined || /runs ×/.test(c.name))
  .map((c) => mib(c.name));
const worst = peaks.some((p) => p === null)
  ? null
  : Math.max(...(peaks as number[]));
const longR = (k: number) =>
  `1 run × ${k.toLocaleString("en-US")} records, no run_end`;
const targets = [
  target(
    `peak RSS of runs/best/show/values/export over ${n} runs (4 and 200 metrics) ≤ 256 MiB`,
    worst,
    "<=",
    256,
    " MiB",
  ),
  ...["runs", "best value.metrics.m0"].map((cmd) =>
    target(
      `${cmd.split(" ")[0]}: time per run, 200 metrics ≤ 1.2× 4 metrics`,
      ratio(
        secs(byName(cmd, `${n} runs × 200 metrics`)),
        secs(byName(cmd, `${n} runs × 4 metrics`)),
      ),
      "<=",
      1.2,
    )
  ),
  target(
    `values --limit 10: ${LONG.toLocaleString("en-US")}-record run ≤ 2× ${
      SHORT.toLocaleString("en-US")
    }-record run`,
    ratio(
      secs(`values --limit 10, ${longR(LONG)}`),
      secs(`values --limit 10, ${longR(SHORT)}`),
    ),
    "<=",
    2,
  ),
  target(
    `best --by max: peak RSS at ${
      LONG.toLocaleString("en-US")
    } records ≤ 1.2× at ${MID.toLocaleString("en-US")}`,
    ratio(
      mib(`best value.metrics.acc --by max, ${longR(LONG)}`),
      mib(`best value.metrics.acc --by max, ${longR(MID)}`),
    ),
    "<=",
    1.2,
  ),
  target(
    `show: peak RSS at ${LONG.toLocaleString("en-US")} records ≤ 1.2× at ${
      SHORT.toLocaleString("en-US")
    }`,
    ratio(
      mib(`show latest, ${longR(LONG)}`),
      mib(`show latest, ${longR(SHORT)}`),
    ),
    "<=",
    1.2,
  ),
  target(
    `show of the ${
      LONG.toLocaleString("en-US")
    }-record run ≤ 1.5× best --by max of it (the fast scan)`,
    ratio(
      secs(`show latest, ${longR(LONG)}`),
      secs(`best value.metrics.acc --by max, ${longR(LONG)}`),
    ),
    "<=",
    1.5,
  ),
];

const notes = [
  `${ROUNDS} round(s) interleaved, medians of cold subprocesses (peak RSS: the highest). Flags: --no-prompt --no-lock --allow-read=<dir>.`,
  `Many runs: ${n} finished runs of 2 track records each, with 4 or 200 numeric metrics per record (run_end summaries of 5 or 201 paths). Long runs: 4 metrics per record, no run_end (crashed).`,
  `Data generated once into ${base} (bench/shapes.ts); --keep-data keeps it for the next run.`,
];
if (CLI !== CLI_PATH) notes.push(`CLI measured: ${CLI}.`);
for (const [k, v] of bad) notes.push(`${k}: ${v}`);
const section: Section = {
  id: "memory",
  title: "5. Memory and shapes: many wide runs, long runs without run_end",
  columns: ["wall s", "peak RSS MiB", "µs per run"],
  rows,
  targets,
  notes,
};
if (!FLAGS["keep-data"]) rm(base);
emit(section);
