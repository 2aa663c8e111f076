// Section 1: track() throughput against a raw FsFile.writeSync loop writing
// the same bytes, pino's sync mode, and open-append-close per record (the
// Python exprag's way), for two record shapes: 4 metrics (~300 bytes) and 200
// metrics (a wide record, ~4.6 KB). All variants of a shape run interleaved in
// this one process, round after round, so every ratio is a median of paired
// same-round ratios. Plus the run_end summary's cost per metric for both.
//
// Usage: deno run -A bench/track.ts [--smoke] [--records=N] [--wide-records=N]
//        [--rounds=R] [--no-profile]
import { join } from "node:path";
import {
  BENCH,
  DATA,
  DENO,
  emit,
  FLAGS,
  fmt,
  freshDir,
  loadExperiment,
  log,
  median,
  MOD_URL,
  numberFlag,
  pairedRatio,
  PINO,
  rm,
  type Row,
  type Section,
  SMOKE,
  target,
} from "./lib.ts";
import { summarizeProfile } from "./profile.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "../src/version.ts";
import { ValueEncoder } from "../src/tracker/encode.ts";
import { SummaryBuilder } from "../src/summary.ts";

const N = numberFlag("records", [2_000, 100_000]);
const N_WIDE = numberFlag("wide-records", [200, 10_000]);
const ROUNDS = numberFlag("rounds", [2, 9]);
const SUMMARY_ROUNDS = SMOKE ? 3 : 9;
const DIR = freshDir(join(DATA, "track"));

const enc = new TextEncoder();
const RUN_ID = crypto.randomUUID();
const NAME = "bench-train";

/** The value a training loop tracks each step: 4 metrics (and step, epoch). */
function value(i: number) {
  return {
    step: i,
    epoch: (i / 1000) | 0,
    metrics: {
      loss: 1 / (i + 1) + 0.012345678901234,
      acc: 0.5 + (i % 1000) / 2000.0001,
      lr: 0.0003,
      grad_norm: 0.987654321 + (i % 7) / 13,
    },
  };
}

/** Metric names of the wide shape, e.g. `layer_017.grad_norm`. */
const WIDE_KEYS = Array.from(
  { length: 200 },
  (_, k) =>
    `layer_${String(k >> 2).padStart(3, "0")}.${
      ["grad_norm", "weight_norm", "update_ratio", "act_mean"][k & 3]
    }`,
);

/**
 * A wide value: 200 metrics, built the way a training loop collects them
 * (one assignment per metric: V8 keeps such an object in dictionary mode).
 */
function wideValue(i: number) {
  const metrics: Record<string, number> = {};
  for (let k = 0; k < 200; k++) {
    metrics[WIDE_KEYS[k]] = 1 / (i + k + 1) + 0.012345678901234;
  }
  return { step: i, metrics };
}

/** A record shape: its value function, its record count, its leaves. */
interface Shape {
  id: string;
  label: string;
  value: (i: number) => unknown;
  n: number;
  /** Numeric leaves per value (what the summary keeps statistics of). */
  leaves: number;
}
const SHAPES: Shape[] = [
  { id: "4", label: "4 metrics", value, n: N, leaves: 6 },
  { id: "200", label: "200 metrics", value: wideValue, n: N_WIDE, leaves: 201 },
];

/** The record our format holds for one track call (key order of the design). */
function record(v: unknown, t0: number) {
  return {
    schema_version: SCHEMA_VERSION,
    exprag_version: EXPRAG_VERSION,
    run_id: RUN_ID,
    experiment_name: NAME,
    kind: "track",
    created_at: new Date().toISOString(),
    elapsed_ms: Math.round(performance.now() - t0),
    value: v,
  };
}

function writeAll(f: Deno.FsFile, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += f.writeSync(data.subarray(off));
}

function open(path: string): Deno.FsFile {
  return Deno.openSync(path, { append: true, create: true });
}

type Variant = {
  name: string;
  role: Row["role"];
  /** Runs n calls of one shape; returns seconds and bytes written. */
  run: (n: number, path: string, shape: Shape) => {
    seconds: number;
    bytes: number;
  };
  missing?: string;
};

const variants: Variant[] = [];

const RAW = "raw writeSync (stringify+encode per record)";
variants.push({
  name: RAW,
  role: "reference",
  run(n, path, shape) {
    const f = open(path);
    const value = shape.value;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      writeAll(f, enc.encode(JSON.stringify(record(value(i), t0)) + "\n"));
    }
    const s = (performance.now() - t0) / 1000;
    f.close();
    return { seconds: s, bytes: Deno.statSync(path).size };
  },
});

variants.push({
  name: "raw writeSync (pre-encoded bytes)",
  role: "peer",
  run(n, path, shape) {
    const f = open(path);
    const bytes = enc.encode(JSON.stringify(record(shape.value(0), 0)) + "\n");
    const t0 = performance.now();
    for (let i = 0; i < n; i++) writeAll(f, bytes);
    const s = (performance.now() - t0) / 1000;
    f.close();
    return { seconds: s, bytes: Deno.statSync(path).size };
  },
});

let pinoMissing: string | undefined;
// deno-lint-ignore no-explicit-any
let pino: any;
try {
  pino = (await import(PINO)).default;
} catch (e) {
  pinoMissing = `pino failed to load: ${(e as Error).message}`;
}
const PINO_NAME = "pino sync (pino.destination({sync:true}))";
variants.push({
  name: PINO_NAME,
  role: "peer",
  missing: pinoMissing,
  run(n, path, shape) {
    const dest = pino.destination({ dest: path, sync: true });
    // Same fields as our records: the constant ones as pino bindings
    // (serialized once, pino's normal usage), time as ISO text.
    const logger = pino(
      { base: null, timestamp: pino.stdTimeFunctions.isoTime },
      dest,
    ).child({
      schema_version: SCHEMA_VERSION,
      exprag_version: EXPRAG_VERSION,
      run_id: RUN_ID,
      experiment_name: NAME,
      kind: "track",
    });
    const value = shape.value;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      logger.info({
        elapsed_ms: Math.round(performance.now() - t0),
        value: value(i),
      });
    }
    const s = (performance.now() - t0) / 1000;
    dest.flushSync?.();
    dest.end?.();
    return { seconds: s, bytes: Deno.statSync(path).size };
  },
});

variants.push({
  name: "open-append-close per record (Python exprag)",
  role: "peer",
  run(n, path, shape) {
    const value = shape.value;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const f = open(path);
      writeAll(f, enc.encode(JSON.stringify(record(value(i), t0)) + "\n"));
      f.close();
    }
    return {
      seconds: (performance.now() - t0) / 1000,
      bytes: Deno.statSync(path).size,
    };
  },
});

const ours = await loadExperiment();
const OURS = "ours: Experiment.track()";
variants.push({
  name: OURS,
  role: "ours",
  missing: ours.missing,
  run(n, path, shape) {
    const dir = path + ".exprag";
    const exp = new ours.Experiment!(NAME, { dir, git: false });
    const value = shape.value;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) exp.track(value(i));
    const s = (performance.now() - t0) / 1000;
    exp.end();
    const file: string = exp.path;
    // Count the track records' bytes only (not run_start / run_end).
    const text = Deno.readTextFileSync(file);
    const lines = text.split("\n");
    let b = 0;
    for (const l of lines) {
      if (l.includes('"kind":"track"')) b += enc.encode(l).length + 1;
    }
    return { seconds: s, bytes: b };
  },
});

/** Seconds per round of each variant and shape: `${shape.id}|${name}`. */
const secs = new Map<string, number[]>();
const bytesPer = new Map<string, number>();
const k = (shape: Shape, name: string) => `${shape.id}|${name}`;

log(
  `track: ${
    SHAPES.map((s) => `${s.label} × ${s.n}`).join(", ")
  } records × ${ROUNDS} rounds, ${
    variants.filter((v) => !v.missing).length
  } variants`,
);
for (const shape of SHAPES) {
  const active = variants.filter((v) => !v.missing);
  for (const v of variants) secs.set(k(shape, v.name), []);
  // Warm-up (JIT, page cache, file creation).
  for (const v of [...active]) {
    const p = join(DIR, "warm.jsonl");
    try {
      v.run(Math.max(200, shape.n / 10), p, shape);
    } catch (e) {
      // A failing variant is reported in its row, never hides the others.
      v.missing = `failed: ${(e as Error).message}`.slice(0, 300);
      active.splice(active.indexOf(v), 1);
    }
    rm(p);
    rm(p + ".exprag");
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = active.map((_, j) => active[(j + r) % active.length]);
    for (const v of order) {
      const p = join(DIR, `r${r}-${variants.indexOf(v)}.jsonl`);
      const { seconds, bytes } = v.run(shape.n, p, shape);
      secs.get(k(shape, v.name))!.push(seconds);
      bytesPer.set(k(shape, v.name), bytes / shape.n);
      rm(p);
      rm(p + ".exprag");
    }
  }
}
const summaryCost = measureSummary();

const rows: Row[] = [];
for (const shape of SHAPES) {
  const ref = secs.get(k(shape, RAW))!;
  for (const v of variants) {
    const name = `${shape.label}: ${v.name}`;
    if (v.missing) {
      rows.push({ name, role: v.role, cells: {}, missing: v.missing });
      continue;
    }
    const s = secs.get(k(shape, v.name))!;
    const m = median(s);
    rows.push({
      name,
      role: v.role,
      cells: {
        "records/s": shape.n / m,
        "µs/call": (m / shape.n) * 1e6,
        "bytes/record": bytesPer.get(k(shape, v.name)) ?? null,
        "× raw (throughput)": pairedRatio(ref, s),
      },
    });
  }
}
for (const shape of SHAPES) {
  const c = summaryCost.get(shape.id)!;
  rows.push({
    name: `${shape.label}: run_end summary building (${shape.leaves} leaves)`,
    role: "ours",
    cells: {
      "records/s": 1e6 / c.usPerRecord,
      "µs/call": c.usPerRecord,
      "bytes/record": null,
      "× raw (throughput)": null,
    },
  });
}

/** Throughput of variant a relative to b, for one shape (paired rounds). */
function ratioTo(shape: Shape, a: string, b: string): number | null {
  const sa = secs.get(k(shape, a))!;
  const sb = secs.get(k(shape, b))!;
  if (!sa.length || !sb.length) return null;
  return pairedRatio(sb, sa);
}
const [S4, S200] = SHAPES;
const perLeaf = (id: string) => summaryCost.get(id)!.nsPerLeaf;
const notes: string[] = [
  `${
    SHAPES.map((s) => `${s.label}: ${s.n.toLocaleString("en-US")} records`)
      .join(", ")
  } per round, ${ROUNDS} rounds, variants interleaved (order rotated each round); medians; ratios are medians of same-round ratios.`,
  "Every variant has each record in the kernel when the call returns (a write(2) per record; no buffering).",
  "4 metrics: { step, epoch, metrics: { loss, acc, lr, grad_norm } }; 200 metrics: { step, metrics: { layer_000.grad_norm, … } } with the metrics object built by 200 assignments (as a training loop collects them; V8 keeps it in dictionary mode).",
  `run_end summary building: the summary work of track() (${
    fmt(perLeaf(S4.id))
  } ns per metric at 4 metrics, ${
    fmt(perLeaf(S200.id))
  } ns at 200), plus building and serializing the run_end summary once, per numeric leaf; median of ${SUMMARY_ROUNDS} rounds.`,
];
if (ours.missing) notes.push(`ours not measured: ${ours.missing}.`);

// Profile of ours.
if (!ours.missing && !SMOKE && !FLAGS["no-profile"]) {
  try {
    notes.push(...profileOurs());
  } catch (e) {
    notes.push(`profile failed: ${(e as Error).message}`);
  }
}

const section: Section = {
  id: "track",
  title:
    "1. track() throughput (one record per call: 4 metrics ~300 bytes, 200 metrics ~9 KB)",
  columns: ["records/s", "µs/call", "bytes/record", "× raw (throughput)"],
  rows,
  targets: [
    target(
      "track() ≥ 0.9× raw writeSync",
      ratioTo(S4, OURS, RAW),
      ">=",
      0.9,
    ),
    target(
      "track() ≥ 1.0× pino sync",
      pinoMissing ? null : ratioTo(S4, OURS, PINO_NAME),
      ">=",
      1.0,
    ),
    target(
      "track() ≥ 1.8× raw writeSync (4 metrics)",
      ratioTo(S4, OURS, RAW),
      ">=",
      1.8,
    ),
    target(
      "track() ≥ 1.0× raw writeSync (200 metrics)",
      ratioTo(S200, OURS, RAW),
      ">=",
      1.0,
    ),
    target(
      "run_end summary per metric, 200 metrics ≤ 2× 4 metrics",
      perLeaf(S200.id) / perLeaf(S4.id),
      "<=",
      2,
    ),
  ],
  notes,
};
rm(DIR);
emit(section);

/**
 * The summary's cost per record and per numeric leaf, for each shape: what
 * track() does for it (hand the encoder's leaves to the run's
 * SummaryBuilder) plus run_end's building and serializing of the summary,
 * spread over the records. The leaves come from the tracker's own encoder,
 * for 64 different records of the shape, fed round-robin.
 */
function measureSummary(): Map<
  string,
  { usPerRecord: number; nsPerLeaf: number }
> {
  const out = new Map<string, { usPerRecord: number; nsPerLeaf: number }>();
  for (const shape of SHAPES) {
    const n = shape.n * 4;
    const encoder = new ValueEncoder("value");
    const batch: { paths: string[]; values: number[]; count: number }[] = [];
    for (let i = 0; i < 64; i++) {
      encoder.json(shape.value(i));
      const count = encoder.leafCount;
      batch.push({
        paths: encoder.leafPaths.slice(0, count),
        values: encoder.leafValues.slice(0, count),
        count,
      });
    }
    const times: number[] = [];
    let leaves = 0;
    for (let r = 0; r < SUMMARY_ROUNDS + 1; r++) {
      leaves = 0;
      const t0 = performance.now();
      const summary = new SummaryBuilder();
      for (let i = 0; i < n; i++) {
        const b = batch[i & 63];
        summary.addLeaves(b.paths, b.values, b.count, i);
        leaves += b.count;
      }
      JSON.stringify(summary.toJSON());
      const t = performance.now() - t0;
      if (r > 0) times.push(t); // round 0 warms up
    }
    const ms = median(times);
    out.set(shape.id, {
      usPerRecord: (ms * 1000) / n,
      nsPerLeaf: (ms * 1e6) / leaves,
    });
  }
  return out;
}

function profileOurs(): string[] {
  const profDir = freshDir(join(DATA, "track-prof"));
  const script = join(profDir, "loop.ts");
  Deno.writeTextFileSync(
    script,
    `import { Experiment } from ${JSON.stringify(MOD_URL)};
const exp = new Experiment("prof", { dir: ${
      JSON.stringify(join(profDir, "x"))
    }, git: false });
for (let i = 0; i < ${Math.max(N, 100_000) * 3}; i++) {
  exp.track({ step: i, epoch: (i / 1000) | 0, metrics: { loss: 1 / (i + 1) + 0.012345678901234, acc: 0.5 + (i % 1000) / 2000.0001, lr: 0.0003, grad_norm: 0.987654321 + (i % 7) / 13 } });
}
exp.end();
`,
  );
  const out = new Deno.Command(DENO, {
    args: [
      "run",
      "-A",
      "--no-lock",
      "--cpu-prof",
      `--cpu-prof-dir=${profDir}`,
      script,
    ],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const prof = [...Deno.readDirSync(profDir)].find((e) =>
    e.name.endsWith(".cpuprofile")
  );
  if (!prof) throw new Error("no .cpuprofile written");
  const s = summarizeProfile(join(profDir, prof.name), 8, BENCH);
  rm(profDir);
  return [
    `profile of ours (deno --cpu-prof, tight track() loop): self time — ${
      s.top.map((t) => `${t.name} ${fmt(t.pct)}%`).join(", ")
    }.`,
    `profile by area: ${
      s.areas.map((a) => `${a.name} ${fmt(a.pct)}%`).join(", ")
    }.`,
  ];
}
