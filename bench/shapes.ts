// Run directories in the shapes of issue 12 (the memory section's data):
// many finished runs with W numeric metrics per record (genuine run_end
// summaries from src/summary.ts), and one long run without run_end (a
// crashed run: what the Python exprag and killed runs leave), written by
// streaming so that a 2,000,000-record run never sits in memory.
//
// Usage as a script:
//   deno run -A bench/shapes.ts wide <dir> <runs> <metrics> [records]
//   deno run -A bench/shapes.ts long <dir> <records>
import { join } from "node:path";
import { formatRecord } from "../src/record.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "../src/version.ts";
import { uuid } from "./data.ts";
import { freshDir, log, rm, rng } from "./lib.ts";

/** What a generator wrote. */
export interface ShapeInfo {
  dir: string;
  runs: number;
  bytes: number;
  /** The run with the highest last `value.metrics.m0`. */
  best: string;
}

const BASE_TIME = Date.parse("2025-03-03T08:00:00.000Z");

function head(runId: string, kind: string): Record<string, unknown> {
  return {
    schema_version: SCHEMA_VERSION,
    exprag_version: EXPRAG_VERSION,
    run_id: runId,
    experiment_name: "train-wide",
    kind,
  };
}

function startLine(runId: string, i: number, t0: number): string {
  return formatRecord({
    ...head(runId, "run_start"),
    created_at: new Date(t0).toISOString(),
    elapsed_ms: 0,
    value: {
      git: {
        commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        branch: `run/${runId}`,
        dirty: true,
        head: "9fceb02d0ae598e95dc970b74767f19372d61af8",
        head_branch: "main",
        status: " M train.ts\n",
        status_truncated: false,
        mode: "snapshot",
        toplevel: "/home/user/project",
        exprag_dir: ".exprag",
        skipped: [],
      },
      host: { hostname: "bench-host", os: "linux", arch: "x86_64" },
      process: { pid: 10000 + i, cwd: "/home/user/project", argv: ["train"] },
      runtime: { deno: "2.9.6", v8: "13.0", typescript: "5.6" },
      metadata: { hparams: { learning_rate: [0.1, 0.01][i % 2] }, seed: i },
    },
  });
}

/** `metrics` numeric metrics named m0, m1, ... */
function metricsOf(r: () => number, metrics: number, s: number) {
  const m: Record<string, number> = {};
  for (let k = 0; k < metrics; k++) m[`m${k}`] = r() + s * 1e-3;
  return { step: s, metrics: m };
}

/**
 * Writes `runs` finished runs of `records` track records with `metrics`
 * numeric metrics each (run_end summaries of `metrics + 1` paths).
 */
export function genWide(
  dir: string,
  o: { runs: number; metrics: number; records?: number; seed?: number },
): ShapeInfo {
  rm(dir);
  const runsDir = freshDir(join(dir, "runs"));
  const records = o.records ?? 2;
  const enc = new TextEncoder();
  let bytes = 0;
  let best = { id: "", v: -Infinity };
  for (let i = 0; i < o.runs; i++) {
    const r = rng((o.seed ?? 12) * 1000003 + i);
    const runId = uuid(r);
    const t0 = BASE_TIME + i * 60_000;
    const lines = [startLine(runId, i, t0)];
    const summary = new SummaryBuilder();
    let elapsed = 0;
    let last = 0;
    for (let s = 0; s < records; s++) {
      elapsed += 20;
      const value = metricsOf(r, o.metrics, s);
      last = value.metrics.m0;
      lines.push(formatRecord({
        ...head(runId, "track"),
        created_at: new Date(t0 + elapsed).toISOString(),
        elapsed_ms: elapsed,
        value,
      }));
      summary.add(value, elapsed);
    }
    elapsed += 5;
    lines.push(formatRecord({
      ...head(runId, "run_end"),
      created_at: new Date(t0 + elapsed).toISOString(),
      elapsed_ms: elapsed,
      value: {
        status: "finished",
        exit_code: 0,
        track_count: records,
        duration_ms: elapsed,
        summary: summary.toJSON(),
        summary_truncated: summary.truncated,
      },
    }));
    const data = enc.encode(lines.join("\n") + "\n");
    Deno.writeFileSync(join(runsDir, `${runId}.jsonl`), data);
    bytes += data.length;
    if (last > best.v) best = { id: runId, v: last };
  }
  return { dir, runs: o.runs, bytes, best: best.id };
}

/**
 * Writes one run of `records` track records (4 metrics) without run_end:
 * a crashed run, since no process holds its lock.
 */
export function genLong(dir: string, records: number): ShapeInfo {
  rm(dir);
  const runsDir = freshDir(join(dir, "runs"));
  const r = rng(99);
  const runId = uuid(r);
  const file = join(runsDir, `${runId}.jsonl`);
  const f = Deno.openSync(file, { write: true, createNew: true });
  const enc = new TextEncoder();
  let bytes = 0;
  const write = (s: string) => {
    const data = enc.encode(s);
    let o = 0;
    while (o < data.length) o += f.writeSync(data.subarray(o));
    bytes += data.length;
  };
  try {
    write(startLine(runId, 0, BASE_TIME) + "\n");
    const batch: string[] = [];
    let elapsed = 0;
    for (let s = 0; s < records; s++) {
      elapsed += 20 + (s % 7);
      const frac = 1 - Math.exp(-(s + 1) / (records / 5 + 1));
      batch.push(formatRecord({
        ...head(runId, "track"),
        created_at: new Date(BASE_TIME + elapsed).toISOString(),
        elapsed_ms: elapsed,
        value: {
          step: s,
          epoch: Math.floor(s / 500),
          metrics: {
            loss: 2.3 * (1 - frac) + r() * 0.02,
            acc: 0.9 * frac + (r() - 0.5) * 0.01,
            lr: 0.01 * (1 - s / records),
            grad_norm: 0.5 + r(),
          },
        },
      }));
      if (batch.length === 10_000) {
        write(batch.join("\n") + "\n");
        batch.length = 0;
      }
    }
    if (batch.length > 0) write(batch.join("\n") + "\n");
  } finally {
    f.close();
  }
  return { dir, runs: 1, bytes, best: runId };
}

if (import.meta.main) {
  const [what, dir, a, b, c] = Deno.args;
  const t0 = performance.now();
  let info: ShapeInfo;
  if (what === "wide") {
    info = genWide(dir, {
      runs: Number(a),
      metrics: Number(b),
      records: c === undefined ? undefined : Number(c),
    });
  } else if (what === "long") info = genLong(dir, Number(a));
  else {
    log(
      "usage: shapes.ts wide <dir> <runs> <metrics> [records] | long <dir> <records>",
    );
    Deno.exit(2);
  }
  log(`${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(info));
}
