// Section 1: track() throughput against a raw FsFile.writeSync loop writing
// the same bytes, pino's sync mode, and open-append-close per record (the
// Python exprag's way). All variants run interleaved in this one process,
// round after round, so every ratio is a median of paired same-round ratios.
//
// Usage: deno run -A bench/track.ts [--smoke] [--records=N] [--rounds=R] [--no-profile]
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

const N = numberFlag("records", [2_000, 100_000]);
const ROUNDS = numberFlag("rounds", [2, 9]);
const DIR = freshDir(join(DATA, "track"));

const enc = new TextEncoder();
const RUN_ID = crypto.randomUUID();
const NAME = "bench-train";

/** The value a training loop tracks each step (same for every variant). */
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

/** The record our format holds for one track call (key order of the design). */
function record(i: number, t0: number) {
  return {
    schema_version: SCHEMA_VERSION,
    exprag_version: EXPRAG_VERSION,
    run_id: RUN_ID,
    experiment_name: NAME,
    kind: "track",
    created_at: new Date().toISOString(),
    elapsed_ms: Math.round(performance.now() - t0),
    value: value(i),
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
  /** Runs n calls; returns seconds and bytes written. */
  run: (n: number, path: string) => { seconds: number; bytes: number };
  missing?: string;
};

const variants: Variant[] = [];

variants.push({
  name: "raw writeSync (stringify+encode per record)",
  role: "reference",
  run(n, path) {
    const f = open(path);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      writeAll(f, enc.encode(JSON.stringify(record(i, t0)) + "\n"));
    }
    const s = (performance.now() - t0) / 1000;
    f.close();
    return { seconds: s, bytes: Deno.statSync(path).size };
  },
});

variants.push({
  name: "raw writeSync (pre-encoded bytes)",
  role: "peer",
  run(n, path) {
    const f = open(path);
    const bytes = enc.encode(JSON.stringify(record(0, 0)) + "\n");
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
variants.push({
  name: "pino sync (pino.destination({sync:true}))",
  role: "peer",
  missing: pinoMissing,
  run(n, path) {
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
  run(n, path) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const f = open(path);
      writeAll(f, enc.encode(JSON.stringify(record(i, t0)) + "\n"));
      f.close();
    }
    return {
      seconds: (performance.now() - t0) / 1000,
      bytes: Deno.statSync(path).size,
    };
  },
});

const ours = await loadExperiment();
variants.push({
  name: "ours: Experiment.track()",
  role: "ours",
  missing: ours.missing,
  run(n, path) {
    const dir = path + ".exprag";
    const exp = new ours.Experiment!(NAME, { dir, git: false });
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

const active = variants.filter((v) => !v.missing);
const secs = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const bytesPer = new Map<string, number>();

log(`track: ${N} records × ${ROUNDS} rounds, ${active.length} variants`);
// Warm-up (JIT, page cache, file creation).
for (const v of [...active]) {
  const p = join(DIR, "warm.jsonl");
  try {
    v.run(Math.max(200, N / 10), p);
  } catch (e) {
    // A failing variant is reported in its row, never hides the others.
    v.missing = `failed: ${(e as Error).message}`.slice(0, 300);
    active.splice(active.indexOf(v), 1);
  }
  rm(p);
  rm(p + ".exprag");
}
for (let r = 0; r < ROUNDS; r++) {
  const order = active.map((_, k) => active[(k + r) % active.length]);
  for (const v of order) {
    const p = join(DIR, `r${r}-${variants.indexOf(v)}.jsonl`);
    const { seconds, bytes } = v.run(N, p);
    secs.get(v.name)!.push(seconds);
    bytesPer.set(v.name, bytes / N);
    rm(p);
    rm(p + ".exprag");
  }
}

const ref = secs.get(variants[0].name)!;
const rows: Row[] = variants.map((v): Row => {
  if (v.missing) {
    return { name: v.name, role: v.role, cells: {}, missing: v.missing };
  }
  const s = secs.get(v.name)!;
  const m = median(s);
  return {
    name: v.name,
    role: v.role,
    cells: {
      "records/s": N / m,
      "µs/call": (m / N) * 1e6,
      "bytes/record": bytesPer.get(v.name) ?? null,
      "× raw (throughput)": pairedRatio(ref, s),
    },
  };
});

function ratioTo(a: string, b: string): number | null {
  const sa = secs.get(a)!;
  const sb = secs.get(b)!;
  if (!sa.length || !sb.length) return null;
  return pairedRatio(sb, sa); // throughput of a relative to b
}
const OURS = "ours: Experiment.track()";
const notes: string[] = [
  `${
    N.toLocaleString("en-US")
  } records per round, ${ROUNDS} rounds, variants interleaved (order rotated each round); medians; ratios are medians of same-round ratios.`,
  "Every variant has each record in the kernel when the call returns (a write(2) per record; no buffering).",
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
  title: "1. track() throughput (one ~300-byte record per call)",
  columns: ["records/s", "µs/call", "bytes/record", "× raw (throughput)"],
  rows,
  targets: [
    target(
      "track() ≥ 0.9× raw writeSync",
      ratioTo(OURS, variants[0].name),
      ">=",
      0.9,
    ),
    target(
      "track() ≥ 1.0× pino sync",
      pinoMissing ? null : ratioTo(OURS, variants[2].name),
      ">=",
      1.0,
    ),
  ],
  notes,
};
rm(DIR);
emit(section);

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
