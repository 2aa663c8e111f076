// Differential check: the reading commands of two checkouts (e.g. the code
// before issue 12, eb3dae8, and this one) over the same run files, stdout,
// stderr and exit code compared byte for byte. The data: the bench data
// (bench/.data, read only; random samples of the 100k-run shapes copied to a
// temporary directory) and a hostile directory this script writes: runs of
// our tracker (mod.ts Experiment) and in the Python exprag's format, torn
// last lines, runs without summary, NaN/Infinity, odd keys (unicode, escaped,
// integer-like, dotted, duplicate), long runs, another run's records
// appended, CRLF, BOM, a 200-metric run_end, summary_truncated, seeds.
//
// Usage: deno run -A bench/diff_check.ts --old=/tmp/old12/cli.ts
//          [--new=cli.ts] [--only=hostile,query-end,...] [--sample=2000]
//          [--full] (also the full 100k x4 directory and the 2,000,000-record
//          run: a few commands each) [--keep] [--out=DIR]
//          [--data=DIR] (the bench data; default bench/.data or $EXPRAG_BENCH_DATA)
// Prints one line per command (same / known / DIFF); the differing outputs are
// written under --out (default a temporary directory). "known": a difference
// listed as intended (known()). Exit 1 on any DIFF.
// The commands run one at a time, with --allow-read only (nothing written).
import { join, resolve } from "node:path";
import { Experiment } from "../mod.ts";
import {
  denoRecorder,
  pythonRecorder,
  runEndValue,
  trackLines,
} from "../tests/_cli_fixtures.ts";
import { DATA, FLAGS, loadText, rng } from "./lib.ts";

const OLD = typeof FLAGS.old === "string" ? resolve(FLAGS.old) : "";
const NEW = resolve(typeof FLAGS.new === "string" ? FLAGS.new : "cli.ts");
const ONLY = typeof FLAGS.only === "string"
  ? new Set(FLAGS.only.split(","))
  : null;
/** The bench data (read only): --data, else bench/lib.ts's DATA. */
const BENCH_DATA = typeof FLAGS.data === "string" ? resolve(FLAGS.data) : DATA;
const SAMPLE = typeof FLAGS.sample === "string" ? Number(FLAGS.sample) : 2000;
const TMP = Deno.makeTempDirSync({ prefix: "exprag-diff-" });
const OUT = typeof FLAGS.out === "string"
  ? resolve(FLAGS.out)
  : join(TMP, "out");
if (OLD === "") {
  console.error("usage: diff_check.ts --old=PATH/cli.ts [--new=cli.ts] ...");
  Deno.exit(2);
}
Deno.mkdirSync(OUT, { recursive: true });

// --- hostile data -------------------------------------------------------

const T0 = Date.parse("2025-06-01T10:00:00.000Z");

function writeLines(path: string, lines: string[], eol = "\n", head = "") {
  Deno.writeTextFileSync(path, head + lines.map((l) => l + eol).join(""));
}

/** Runs of our tracker, several seeds and statuses, odd values. */
function trackerRuns(dir: string): void {
  const r = rng(12);
  const statuses = ["finished", "failed", "interrupted"] as const;
  for (let seed = 0; seed < 6; seed++) {
    const lr = [0.1, 0.01, 0.001][seed % 3];
    const exp = new Experiment("hostile tracker", {
      dir,
      git: false,
      metadata: {
        hparams: { lr, batch_size: 32 },
        seed,
        "dotted.key": seed,
        "ünï": "ç",
        "1": "one",
      },
    });
    const steps = seed === 0 ? 3000 : 40 + seed;
    for (let step = 0; step < steps; step++) {
      const loss = step === 5 && seed === 1
        ? NaN
        : step === 6 && seed === 2
        ? Infinity
        : step === 7 && seed === 2
        ? -Infinity
        : 1 / (step + 1) + r() * 0.01;
      exp.track({
        step,
        metrics: { loss, acc: 0.5 + seed * 0.05 + r() * 0.1 },
        "a.b": step,
        "10": step * 2,
        'é"\n\\': r(),
        tag: step % 2 ? "odd" : "even",
      }, step % 500 === 0 ? { note: `step ${step} ✓` } : undefined);
    }
    const status = statuses[seed % 3];
    if (status === "failed") exp.end({ error: new Error("boom ☠") });
    else exp.end({ status });
  }
  // a wide run_end: 200 metrics
  {
    const exp = new Experiment("hostile wide", { dir, git: false });
    for (let step = 0; step < 20; step++) {
      const metrics: Record<string, number> = {};
      for (let i = 0; i < 200; i++) metrics[`m${i}`] = r() + i;
      exp.track({ step, metrics });
    }
    exp.end();
  }
  // summary_truncated: more numeric leaves than the summary keeps (1024)
  {
    const exp = new Experiment("hostile truncated", { dir, git: false });
    for (let step = 0; step < 3; step++) {
      const many: Record<string, number> = {};
      for (let i = 0; i < 1100; i++) many[`k${i}`] = step * i;
      exp.track({ step, many, metrics: { acc: 0.3 + step / 10 } });
    }
    exp.end();
  }
  // a tracker run without run_end (crashed): its last line cut off
  {
    const exp = new Experiment("hostile cut", { dir, git: false });
    for (let step = 0; step < 30; step++) {
      exp.track({ step, metrics: { loss: 1 / (step + 1), acc: step / 30 } });
    }
    exp.end();
    const text = Deno.readTextFileSync(exp.path);
    const lines = text.split("\n");
    // drop run_end, tear the last track line
    const kept = lines.slice(0, -2);
    const last = kept.pop()!;
    Deno.writeTextFileSync(
      exp.path,
      kept.join("\n") + "\n" + last.slice(0, last.length >> 1),
    );
  }
}

/** Hand-written runs: Python's format and the odd shapes. */
function handRuns(dir: string): void {
  const runs = join(dir, "runs");
  const r = rng(7);
  const pyStart = (
    rec: ReturnType<typeof pythonRecorder>,
    m: unknown,
  ) =>
    rec("run_start", {
      git: {
        branch: "main",
        commit: "0123456789abcdef0123456789abcdef01234567",
        dirty: false,
      },
      host: { arch: "x86_64", cpu_count: 2, hostname: "py", os: "linux" },
      metadata: m,
      process: { argv: ["python", "train.py"], cwd: "/w", pid: 4242 },
    }, 0);
  // Python runs, several seeds, no run_end; one torn, one long
  for (let seed = 0; seed < 4; seed++) {
    const id = `00000000-0000-4000-8000-00000000010${seed}`;
    const rec = pythonRecorder(id, "python exp", new Date(T0 + seed * 60_000));
    const n = seed === 3 ? 4000 : 25;
    const tracks = Array.from({ length: n }, (_, step) => ({
      value: {
        step,
        metrics: {
          loss: step === 3 ? "NaN" : 2 / (step + 1) + r() * 0.01,
          acc: step === 4 && seed === 1
            ? "Infinity"
            : 0.4 + seed / 20 + r() / 10,
        },
        "a.b": seed,
      },
      note: step === 0 ? "first ünïcode" : undefined,
      ms: 10 * (step + 1),
    }));
    const lines = [
      pyStart(rec, { hparams: { lr: [0.1, 0.01][seed % 2] }, seed }),
      ...trackLines(rec, tracks).lines,
    ];
    let tail = "";
    if (seed === 2) tail = lines.pop()!.slice(0, 40); // torn last line
    writeLines(join(runs, `${id}.jsonl`), lines);
    if (tail) {
      Deno.writeTextFileSync(join(runs, `${id}.jsonl`), tail, { append: true });
    }
  }
  // our shape, hand-written: no summary in run_end (legacy), CRLF, BOM,
  // duplicate keys, another run's records appended
  const ours = (n: number, name: string, minute: number) => {
    const id = `00000000-0000-4000-8000-0000000002${
      String(n).padStart(2, "0")
    }`;
    const rec = denoRecorder(id, name, new Date(T0 + minute * 60_000));
    return { id, rec };
  };
  const start = (rec: ReturnType<typeof denoRecorder>, meta: unknown) =>
    rec("run_start", { git: null, host: { hostname: "h" }, metadata: meta }, 0);
  const history = (steps: number, seed: number) =>
    Array.from({ length: steps }, (_, step) => ({
      value: {
        step,
        metrics: {
          loss: 1 / (step + 2) + seed / 100,
          acc: 0.6 + seed / 50 + step / 1000,
        },
      },
      ms: 10 * (step + 1),
    }));
  {
    // run_end without summary
    const { id, rec } = ours(1, "no summary", 10);
    const t = trackLines(rec, history(12, 1));
    const end = runEndValue("finished", 12, t.last + 1);
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 11, hparams: { lr: 0.01 } }),
      ...t.lines,
      rec("run_end", end, t.last + 1),
    ]);
  }
  {
    // CRLF line ends
    const { id, rec } = ours(2, "crlf", 11);
    const t = trackLines(rec, history(15, 2));
    const end = runEndValue("finished", 15, t.last + 1);
    end.summary = t.summary.toJSON();
    end.summary_truncated = false;
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 12, hparams: { lr: 0.1 } }),
      ...t.lines,
      rec("run_end", end, t.last + 1),
    ], "\r\n");
  }
  {
    // BOM, no run_end
    const { id, rec } = ours(3, "bom", 12);
    const t = trackLines(rec, history(9, 3));
    writeLines(
      join(runs, `${id}.jsonl`),
      [
        start(rec, { seed: 13, hparams: { lr: 0.001 } }),
        ...t.lines,
      ],
      "\n",
      "\uFEFF",
    );
  }
  {
    // duplicate keys in values, escaped and integer-like keys as raw text
    const { id, rec } = ours(4, "dupes", 13);
    const lines = [start(rec, { seed: 14, "x": 1 })];
    for (let step = 0; step < 10; step++) {
      const line = rec(
        "track",
        { step, metrics: { acc: 0.1 * step } },
        10 * (step + 1),
      );
      // duplicate the acc key (the last wins in JSON.parse) and add odd keys
      lines.push(line.replace(
        `"metrics":{"acc":`,
        `"metrics":{"acc":-1,"\\u0061cc2":${step},"07":${step},"\\ud83d\\ude00":1,"acc":`,
      ));
    }
    writeLines(join(runs, `${id}.jsonl`), lines);
  }
  {
    // records of another run appended (a copy mistake)
    const { id, rec } = ours(5, "host run", 14);
    const other = ours(6, "guest run", 15);
    const t = trackLines(rec, history(8, 5));
    const g = trackLines(other.rec, history(5, 6));
    const end = runEndValue("finished", 8, t.last + 1);
    end.summary = t.summary.toJSON();
    end.summary_truncated = false;
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 15 }),
      ...t.lines,
      rec("run_end", end, t.last + 1),
      start(other.rec, { seed: 16 }),
      ...g.lines,
    ]);
  }
  {
    // a long run without run_end, a torn line in the middle and at the end
    const { id, rec } = ours(7, "long noend", 16);
    const t = trackLines(rec, history(5000, 7));
    const lines = [start(rec, { seed: 17, hparams: { lr: 0.01 } }), ...t.lines];
    lines[2500] = lines[2500].slice(0, 30);
    writeLines(join(runs, `${id}.jsonl`), lines);
    Deno.writeTextFileSync(
      join(runs, `${id}.jsonl`),
      '{"schema_version":1,"run_',
      {
        append: true,
      },
    );
  }
  {
    // interrupted, with a failed-like error and a summary; values as strings
    const { id, rec } = ours(8, "strings", 17);
    const tracks = Array.from({ length: 6 }, (_, step) => ({
      value: {
        step,
        metrics: { acc: String(step), loss: step % 2 ? "NaN" : "-Infinity" },
      },
      ms: 10 * (step + 1),
    }));
    const t = trackLines(rec, tracks);
    const end = runEndValue("interrupted", 6, t.last + 1);
    end.summary = t.summary.toJSON();
    end.summary_truncated = false;
    end.signal = "SIGINT";
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 18 }),
      ...t.lines,
      rec("run_end", end, t.last + 1),
    ]);
  }
  // run_end lines that a text search for the summary could misread
  const endRun = (
    n: number,
    name: string,
    edit: (endLine: string, end: Record<string, unknown>) => string,
    opts: { after?: string[]; eol?: string; trailer?: string } = {},
  ) => {
    const { id, rec } = ours(n, name, 20 + n);
    const t = trackLines(rec, history(7, n));
    const end = runEndValue("finished", 7, t.last + 1);
    end.summary = t.summary.toJSON();
    end.summary_truncated = false;
    const lines = [
      start(rec, { seed: n, hparams: { lr: [0.1, 0.01, 0.001][n % 3] } }),
      ...t.lines,
      edit(rec("run_end", end, t.last + 1), end),
      ...(opts.after ?? []),
    ];
    writeLines(join(runs, `${id}.jsonl`), lines, opts.eol);
    if (opts.trailer) {
      Deno.writeTextFileSync(join(runs, `${id}.jsonl`), opts.trailer, {
        append: true,
      });
    }
    return { id, rec, t };
  };
  // keys sorted (summary_truncated after summary, then track_count)
  const sortDeep = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortDeep)
      : v !== null && typeof v === "object"
      ? Object.fromEntries(
        Object.keys(v).sort().map((
          k,
        ) => [k, sortDeep((v as Record<string, unknown>)[k])]),
      )
      : v;
  endRun(30, "sorted end", (l) => JSON.stringify(sortDeep(JSON.parse(l))));
  // summary_truncated before summary
  endRun(31, "truncated first", (l) => {
    const m = /,"summary":(.*),"summary_truncated":false/.exec(l)!;
    return l.replace(m[0], `,"summary_truncated":false,"summary":${m[1]}`);
  });
  // two summary keys: JSON.parse keeps the second (acc 1.5 everywhere)
  endRun(32, "two summaries", (l) =>
    l.replace(
      ',"summary_truncated":false',
      ',"summary":{"value.metrics.acc":{"count":1,"first":1.5,"last":1.5,"min":1.5,"max":1.5,"sum":1.5,"nan":0,"first_ms":10,"last_ms":10}},"summary_truncated":false',
    ));
  // the marker text inside a key and a string of the summary
  endRun(33, "marker in key", (l) =>
    l.replace(
      '"summary":{',
      '"summary":{"value.\\",\\"summary_truncated\\":x":{"count":1,"first":2,"last":2,"min":2,"max":2,"sum":2,"nan":0,"first_ms":1,"last_ms":1},',
    ));
  // whitespace in the run_end JSON
  endRun(
    34,
    "spaced end",
    (l) =>
      l.replace('"summary":', '"summary" :  ').replace(
        ',"summary_truncated":',
        ', "summary_truncated" : ',
      ),
  );
  // a run_end followed by more track records, and a second run_end
  {
    const { id, rec } = ours(35, "end then tracks", 55);
    const t = trackLines(rec, history(6, 35));
    const end = runEndValue("finished", 6, t.last + 1);
    end.summary = t.summary.toJSON();
    end.summary_truncated = false;
    const more = trackLines(
      rec,
      history(4, 36).map((x) => ({ ...x, ms: x.ms + 1000 })),
    );
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 35 }),
      ...t.lines,
      rec("run_end", end, t.last + 1),
      ...more.lines,
    ]);
    const id2 = ours(36, "two ends", 56);
    const t2 = trackLines(id2.rec, history(5, 37));
    const end2 = runEndValue("failed", 5, t2.last + 1);
    end2.summary = t2.summary.toJSON();
    end2.summary_truncated = false;
    const end3 = runEndValue("finished", 5, t2.last + 2);
    end3.summary = {};
    end3.summary_truncated = true;
    writeLines(join(runs, `${id2.id}.jsonl`), [
      start(id2.rec, { seed: 36 }),
      ...t2.lines,
      id2.rec("run_end", end2, t2.last + 1),
      id2.rec("run_end", end3, t2.last + 2),
    ]);
  }
  // trailers after run_end: blank lines, CRLF + blank, whitespace, no newline
  endRun(37, "blank after end", (l) => l, { trailer: "\n\n" });
  endRun(38, "crlf blank after end", (l) => l, {
    eol: "\r\n",
    trailer: "\r\n",
  });
  endRun(39, "spaces after end", (l) => l + "   ", {});
  endRun(40, "end no newline", (l) => l, {});
  {
    const p = join(runs, `${ours(40, "", 0).id}.jsonl`);
    Deno.writeTextFileSync(p, Deno.readTextFileSync(p).replace(/\n$/, ""));
  }
  // bytes next to the newline byte in notes and strings (SWAR newline count)
  {
    const { id, rec } = ours(41, "near newline bytes", 61);
    const odd = [
      "\u000b",
      "\t",
      "\u008a",
      "ʊ",
      "\u000c\u000a"[0],
      "\u0009\u000b",
      "\u00ff",
      "\u2028",
    ];
    const tracks = Array.from({ length: 777 }, (_, step) => ({
      value: {
        step,
        metrics: { acc: step / 777, loss: 1 / (step + 1) },
        s: odd[step % odd.length].repeat(step % 9),
      },
      note: odd[(step * 3) % odd.length].repeat(step % 5) +
        "x".repeat(step % 4),
      ms: 10 * (step + 1),
    }));
    const t = trackLines(rec, tracks);
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 41 }),
      ...t.lines,
    ]);
  }
  // a huge last line without run_end (a track of 2,000 numbers)
  {
    const { id, rec } = ours(42, "huge last line", 62);
    const big: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) big[`w${i}`] = i / 7;
    const t = trackLines(rec, [
      ...history(3, 42),
      { value: { step: 3, metrics: { acc: 0.9, loss: 0.1 }, big }, ms: 40 },
    ]);
    writeLines(join(runs, `${id}.jsonl`), [
      start(rec, { seed: 42 }),
      ...t.lines,
    ]);
  }
  // an empty file and a run_start alone
  Deno.writeTextFileSync(
    join(runs, "00000000-0000-4000-8000-000000000299.jsonl"),
    "",
  );
  {
    const { id, rec } = ours(98, "start only", 18);
    writeLines(join(runs, `${id}.jsonl`), [start(rec, { seed: 19 })]);
  }
}

function hostile(): string {
  const dir = join(TMP, "hostile");
  Deno.mkdirSync(join(dir, "runs"), { recursive: true });
  trackerRuns(dir);
  handRuns(dir);
  return dir;
}

/** A random sample of `n` run files of `src` copied into a new directory. */
function sample(src: string, name: string, n: number): string {
  const dir = join(TMP, name);
  Deno.mkdirSync(join(dir, "runs"), { recursive: true });
  const names: string[] = [];
  for (const e of Deno.readDirSync(join(src, "runs"))) names.push(e.name);
  names.sort();
  const r = rng(n);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  for (const f of names.slice(0, n)) {
    Deno.copyFileSync(join(src, "runs", f), join(dir, "runs", f));
  }
  return dir;
}

// --- the commands ---------------------------------------------------------

interface Data {
  name: string;
  dir: string;
  /** Numeric paths, the first the main one. */
  paths: string[];
  /** A metadata path to --where and --group-by on (none: skipped). */
  meta?: string;
  /** Only cheap commands (a huge directory). */
  light?: boolean;
  /** A huge run: the cheap commands and the ones that read a part of it. */
  long?: boolean;
}

function commands(d: Data): string[][] {
  const [p, q] = d.paths;
  const c: string[][] = [
    ["runs"],
    ["runs", "--json"],
    ["runs", "--limit", "3"],
    ["runs", "--where", `${p} > 0.5`],
    ["runs", "--where", "status = finished", "--json"],
    ["best", p],
  ];
  if (d.light) return c;
  if (d.long) {
    return [
      ...c,
      ["show", "latest"],
      ["tail", "latest"],
      ["tail", "latest", "--json", "--lines", "3"],
      ["values", p, "--limit", "10"],
      ["values", p, q, "--tail", "10"],
      ["best", p, "--by", "max"],
      ["best", q, "--by", "mean", "--min"],
    ];
  }
  if (d.meta) {
    c.push(
      ["runs", "--where", `${d.meta} >= 0.01`, "--limit", "5"],
      ["runs", "--where", `${d.meta}<=0.01`, "--where", `${q} < 1`, "--json"],
      ["runs", "--columns", `id,status,records,${d.meta},${p},tags,notes`],
      ["export", "--where", `${d.meta} = 0.1`, "--format", "jsonl"],
    );
  }
  c.push(
    ["runs", "--since", "2025-01-01", "--until", "2025-06-01T10:05:00Z"],
    ["runs", "--columns", "id,status_reason,duration_s,last"],
    ["runs", "--strict"],
    ["best", p, "--strict", "--status", "any"],
    ["paths", "--strict"],
  );
  c.push(
    ["show", "latest"],
    ["show", "latest~1", "--json"],
    ["show", "latest", "--json"],
    ["paths"],
    ["paths", "--json"],
    ["tail", "latest"],
    ["tail", "latest", p, "--lines", "25"],
    ["tail", "latest", "--json"],
    ["compare", "latest", "latest~1"],
    ["compare", "latest", "latest~1", "--json"],
    ["export"],
    ["export", "--format", "tsv"],
    ["export", "--format", "jsonl"],
    ["export", "--records", p, q, "--format", "csv"],
    ["export", "--records", p, "--format", "jsonl", "--status", "finished"],
    ["export", "--records", "value.no.such", "--format", "tsv"],
  );
  for (const path of d.paths) {
    c.push(["values", path, "--run", "latest"], [
      "values",
      path,
      "--limit",
      "30",
    ]);
    c.push(["best", path, "--status", "any", "--top", "3"]);
  }
  c.push(
    ["values", p, q, "--run", "latest", "--limit", "7"],
    ["values", p, "--tail", "5"],
    ["values", p, "--every", "50", "--limit", "20"],
    ["values", p, "--every", "3", "--tail", "4", "--json"],
    ["values", p, "--run", "latest~1", "--json"],
    ["values", "value.metrics.nope"],
  );
  for (const path of d.paths.slice(0, 2)) {
    for (const by of ["last", "first", "max", "min", "mean"]) {
      c.push(["best", path, "--by", by, "--top", "5"]);
    }
  }
  c.push(
    ["best", p, "--min", "--top", "3"],
    ["best", p, "--status", "any", "--top", "4", "--json"],
    ["best", q, "--by", "max", "--status", "any", "--json", "--top", "50"],
    ["best", p, "--status", "finished,crashed", "--top", "3"],
  );
  if (d.meta) {
    c.push(
      ["best", p, "--group-by", d.meta],
      ["best", p, "--group-by", d.meta, "--by", "mean", "--json"],
      ["best", p, "--where", `${d.meta} = 0.01`, "--top", "3"],
    );
  }
  // every run by id: show of each of the first few
  return c;
}

interface Out {
  code: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

async function run(cli: string, dir: string, args: string[]): Promise<Out> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-lock",
      "--no-prompt",
      `--allow-read=${dir}`,
      cli,
      "--dir",
      dir,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: o.code, stdout: o.stdout, stderr: o.stderr };
}

async function hash(b: Uint8Array): Promise<string> {
  const h = new Uint8Array(
    await crypto.subtle.digest("SHA-256", b as BufferSource),
  );
  return Array.from(h.slice(0, 8), (x) => x.toString(16).padStart(2, "0")).join(
    "",
  );
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

let diffs = 0, knownDiffs = 0, total = 0;

/**
 * Intended differences since eb3dae8, by what only the new output has:
 * `export --records`' note for a path without values (06ba631; it was a
 * silent empty export). Null when the difference is another.
 */
function known(o: Out, n: Out): string | null {
  if (o.code !== n.code || !same(o.stdout, n.stdout)) return null;
  const dec = new TextDecoder();
  const note = /^exprag: note: no values at .*; .* see exprag paths\n/gm;
  if (dec.decode(n.stderr).replace(note, "") === dec.decode(o.stderr)) {
    return "export --records' note for a path without values (06ba631)";
  }
  return null;
}

async function check(d: Data, args: string[]): Promise<void> {
  const o = await run(OLD, d.dir, args);
  const n = await run(NEW, d.dir, args);
  total++;
  const parts: string[] = [];
  if (o.code !== n.code) parts.push(`exit ${o.code}->${n.code}`);
  if (!same(o.stdout, n.stdout)) parts.push("stdout");
  if (!same(o.stderr, n.stderr)) parts.push("stderr");
  const label = `${d.name}: ${args.join(" ")}`;
  if (parts.length === 0) {
    console.log(
      `same  ${label}  (exit ${o.code}, ${o.stdout.length} B ${await hash(
        o.stdout,
      )}, stderr ${o.stderr.length} B)`,
    );
    return;
  }
  const base = join(OUT, `${d.name}.${total}`);
  const why = known(o, n);
  if (why !== null) {
    knownDiffs++;
    console.log(`known ${label}  (${parts.join(", ")}: ${why})`);
    return;
  }
  diffs++;
  for (const [tag, x] of [["old", o], ["new", n]] as const) {
    Deno.writeFileSync(`${base}.${tag}.stdout`, x.stdout);
    Deno.writeFileSync(`${base}.${tag}.stderr`, x.stderr);
  }
  Deno.writeTextFileSync(`${base}.args`, JSON.stringify(args) + "\n");
  console.log(`DIFF  ${label}  (${parts.join(", ")}; ${base}.*)`);
}

const datasets: (() => Data)[] = [
  () => ({
    name: "hostile",
    dir: hostile(),
    paths: [
      "value.metrics.acc",
      "value.metrics.loss",
      'value."a.b"',
      "value.step",
      "value.10",
      'value."é\\"\\n\\\\"',
      "value.many.k1099",
      "value.metrics.m199",
    ],
    meta: "metadata.hparams.lr",
  }),
  () => ({
    name: "query-end",
    dir: join(BENCH_DATA, "query-end"),
    paths: [
      "value.metrics.acc",
      "value.metrics.loss",
      "value.metrics.grad_norm",
    ],
    meta: "metadata.hparams.learning_rate",
  }),
  () => ({
    name: "query-noend",
    dir: join(BENCH_DATA, "query-noend"),
    paths: [
      "value.metrics.acc",
      "value.metrics.loss",
      "value.metrics.grad_norm",
    ],
    meta: "metadata.hparams.learning_rate",
  }),
  () => ({
    name: "wide4-sample",
    dir: sample(join(BENCH_DATA, "memory", "wide-100000x4"), "wide4", SAMPLE),
    paths: ["value.metrics.m0", "value.metrics.m3", "value.step"],
    meta: "metadata.hparams.learning_rate",
  }),
  () => ({
    name: "wide200-sample",
    dir: sample(
      join(BENCH_DATA, "memory", "wide-100000x200"),
      "wide200",
      SAMPLE,
    ),
    paths: ["value.metrics.m0", "value.metrics.m199", "value.step"],
    meta: "metadata.hparams.learning_rate",
  }),
  () => ({
    name: "long-20000",
    dir: join(BENCH_DATA, "memory", "long-20000"),
    paths: ["value.metrics.acc", "value.metrics.loss", "value.metrics.lr"],
  }),
  () => ({
    name: "long-200000",
    dir: join(BENCH_DATA, "memory", "long-200000"),
    paths: ["value.metrics.acc", "value.metrics.loss", "value.metrics.lr"],
  }),
  () => ({
    name: "long-2000000",
    dir: join(BENCH_DATA, "memory", "long-2000000"),
    paths: ["value.metrics.acc", "value.metrics.loss"],
    long: true,
  }),
  () => ({
    name: "wide4-full",
    dir: join(BENCH_DATA, "memory", "wide-100000x4"),
    paths: ["value.metrics.m0"],
    light: true,
  }),
];
const names = [
  "hostile",
  "query-end",
  "query-noend",
  "wide4-sample",
  "wide200-sample",
  "long-20000",
  "long-200000",
  "long-2000000",
  "wide4-full",
];

console.log(`old ${OLD}\nnew ${NEW}\n${loadText()}`);
for (let i = 0; i < datasets.length; i++) {
  const name = names[i];
  if (
    ONLY
      ? !ONLY.has(name)
      : /^(wide4-full|long-2000000)$/.test(name) && !FLAGS.full
  ) continue;
  const d = datasets[i]();
  let live: Experiment | undefined;
  if (d.name === "hostile") {
    // a running run: its writer (this process) holds the file lock
    live = new Experiment("hostile live", { dir: d.dir, git: false });
    for (let step = 0; step < 12; step++) {
      live.track({ step, metrics: { acc: step / 12, loss: 1 - step / 12 } });
    }
  }
  // what the data looks like (the old version's table of the newest runs)
  const head = await run(OLD, d.dir, [
    "runs",
    "--limit",
    "4",
    "--columns",
    "id,name,status,records",
  ]);
  const table = new TextDecoder().decode(head.stdout).trimEnd();
  console.log(table);
  if (!table.includes("\n")) {
    console.error(`no runs in ${d.dir} (--data?)`);
    Deno.exit(2);
  }
  for (const args of commands(d)) await check(d, args);
  if (d.name === "hostile") {
    // each run by id, table and --json
    for (
      const e of [...Deno.readDirSync(join(d.dir, "runs"))].sort((a, b) =>
        a.name < b.name ? -1 : 1
      )
    ) {
      const id = e.name.replace(/\.jsonl$/, "");
      await check(d, ["show", id]);
      await check(d, ["show", id, "--json"]);
      await check(d, ["tail", id, "--lines", "3"]);
      await check(d, ["values", "value.metrics.acc", "--run", id, "--json"]);
    }
    live?.end();
  }
}
console.log(
  `${total} commands, ${diffs} differing, ${knownDiffs} intended differences; ${loadText()}; outputs in ${OUT}`,
);
if (!FLAGS.keep) {
  for (const e of Deno.readDirSync(TMP)) {
    if (join(TMP, e.name) !== OUT) {
      Deno.removeSync(join(TMP, e.name), { recursive: true });
    }
  }
  if (!OUT.startsWith(TMP + "/")) Deno.removeSync(TMP);
}
Deno.exit(diffs === 0 ? 0 : 1);
