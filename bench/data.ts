// Data generators for the benchmark suite (dirty git repositories come from
// bench/gen_repo.ts, owned by the git capture's developer): run directories in our record format (with genuine run_end summaries
// from src/summary.ts) or in the Python exprag's shape (no run_end).
//
// Usage as a script:
//   deno run -A bench/data.ts runs  <dir> <runs> <records> [--python] [--no-end]
//   deno run -A bench/data.ts small <dir> <runs>
import { join } from "node:path";
import { formatRecord } from "../src/record.ts";
import { SummaryBuilder } from "../src/summary.ts";
import { EXPRAG_VERSION, SCHEMA_VERSION } from "../src/version.ts";
import { FLAGS, freshDir, log, rm, rng } from "./lib.ts";

// ---------------------------------------------------------------- ids

/** A deterministic UUID v4 from a PRNG. */
export function uuid(r: () => number): string {
  const h: string[] = [];
  for (let i = 0; i < 32; i++) h.push(Math.floor(r() * 16).toString(16));
  h[12] = "4";
  h[16] = "89ab"[Math.floor(r() * 4)];
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${
    s.slice(16, 20)
  }-${s.slice(20)}`;
}

// ---------------------------------------------------------------- runs

/** Options of {@linkcode genRuns}. */
export interface RunsOptions {
  /** How many runs. */
  runs: number;
  /** Track records per run. */
  records: number;
  /** Write run_end with a genuine SummaryBuilder summary. */
  withEnd: boolean;
  /** Python exprag's shape: no exprag_version, `+00:00` microsecond times. */
  python: boolean;
  /** Seed (same seed → same values, so both shapes hold the same answer). */
  seed?: number;
}

/** What {@linkcode genRuns} wrote, with the expected answer. */
export interface RunsInfo {
  dir: string;
  runs: number;
  records: number;
  bytes: number;
  /** The run with the highest last `value.metrics.acc`, and that value. */
  best: { run_id: string; last: number };
  /** The run with the highest `value.metrics.acc` at any step, and that value. */
  bestMax: { run_id: string; max: number };
}

const BASE_TIME = Date.parse("2025-01-06T08:00:00.000Z");

function _pyTime(ms: number, r: () => number): string {
  // Python's datetime.now(timezone.utc).isoformat(): microseconds, +00:00.
  const iso = new Date(ms).toISOString(); // ...T08:00:00.123Z
  const us = String(Math.floor(r() * 1000)).padStart(3, "0");
  return iso.slice(0, -1) + us + "+00:00";
}

/** The fields every record starts with (the Python shape has no exprag_version). */
function _head(
  python: boolean,
  runId: string,
  name: string,
  kind: string,
): Record<string, unknown> {
  return {
    schema_version: SCHEMA_VERSION,
    ...(python ? {} : { exprag_version: EXPRAG_VERSION }),
    run_id: runId,
    experiment_name: name,
    kind,
  };
}

function _runStart(
  runId: string,
  name: string,
  i: number,
  python: boolean,
  lr: number,
  batch: number,
): Record<string, unknown> {
  const git = python
    ? {
      commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      branch: `run/${runId}`,
      dirty: true,
      status: " M train.py\n?? notes.md\n",
    }
    : {
      commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      branch: `run/${runId}`,
      dirty: true,
      head: "9fceb02d0ae598e95dc970b74767f19372d61af8",
      head_branch: "main",
      status: " M train.ts\n?? notes.md\n",
      status_truncated: false,
      mode: "snapshot",
      toplevel: "/home/user/project",
      exprag_dir: ".exprag",
      skipped: [],
    };
  const value: Record<string, unknown> = {
    git,
    host: {
      hostname: "bench-host",
      os: "linux",
      arch: "x86_64",
      username: "user",
      cpu_count: 2,
      os_release: "6.1.0",
      ...(python ? {} : { boot_id: "0f0e0d0c-0b0a-4909-8807-060504030201" }),
    },
    process: {
      pid: 10000 + i,
      ppid: 9999,
      cwd: "/home/user/project",
      argv: python ? ["train.py", "--lr", String(lr)] : [
        "/usr/bin/deno",
        "file:///home/user/project/train.ts",
        "--lr",
        String(lr),
      ],
      ...(python
        ? {}
        : { start_ticks: 123456 + i, exec_path: "/usr/bin/deno" }),
    },
    ...(python
      ? { python: { version: "3.12.3" } }
      : { runtime: { deno: "2.9.6", v8: "13.0", typescript: "5.6" } }),
    metadata: { hparams: { learning_rate: lr, batch_size: batch }, seed: i },
  };
  return {
    ..._head(python, runId, name, "run_start"),
    created_at: "",
    elapsed_ms: 0,
    value,
  };
}

/**
 * Writes `runs` run files of `records` track records each into
 * `<dir>/runs/`. Each track record is about 330 bytes (so 200 × 5,000 ≈
 * 330 MB). With `withEnd`, run_end carries the summary computed by
 * {@linkcode SummaryBuilder} over exactly the values written.
 */
export function genRuns(dir: string, o: RunsOptions): RunsInfo {
  rm(dir);
  const runsDir = freshDir(join(dir, "runs"));
  const enc = new TextEncoder();
  let bytes = 0;
  let best = { run_id: "", last: -Infinity };
  let bestMax = { run_id: "", max: -Infinity };
  const seed = o.seed ?? 42;
  for (let i = 0; i < o.runs; i++) {
    const r = rng(seed * 1000003 + i);
    const rt = rng(seed * 7 + i); // times only, so both shapes hold the same values
    const runId = uuid(r);
    const name = "train-resnet";
    const lr = [0.1, 0.03, 0.01, 0.003, 0.001][i % 5];
    const batch = [16, 32, 64, 128][i % 4];
    const target = 0.80 + 0.15 * r(); // this run's plateau accuracy
    const t0 = BASE_TIME + i * 3_600_000;
    const start = _runStart(runId, name, i, o.python, lr, batch);
    start.created_at = o.python ? _pyTime(t0, rt) : new Date(t0).toISOString();
    const lines: string[] = [formatRecord(start)];
    const summary = new SummaryBuilder();
    let elapsed = 0;
    let lastAcc = 0;
    let maxAcc = -Infinity;
    for (let s = 0; s < o.records; s++) {
      elapsed += 20 + Math.floor(r() * 10);
      const frac = 1 - Math.exp(-(s + 1) / (o.records / 5 + 1));
      const acc = target * frac + (r() - 0.5) * 0.01;
      const loss = 2.3 * (1 - frac) + 0.05 + r() * 0.02;
      const value = {
        step: s,
        epoch: Math.floor(s / 500),
        metrics: {
          loss,
          acc,
          lr: lr * (1 - s / o.records),
          grad_norm: 0.5 + r(),
        },
      };
      lastAcc = acc;
      if (acc > maxAcc) maxAcc = acc;
      const rec = {
        ..._head(o.python, runId, name, "track"),
        created_at: o.python
          ? _pyTime(t0 + elapsed, rt)
          : new Date(t0 + elapsed).toISOString(),
        elapsed_ms: elapsed,
        ...(s % 500 === 0 ? { note: "start of epoch" } : {}),
        value,
      };
      lines.push(formatRecord(rec));
      if (o.withEnd) summary.add(value, elapsed);
    }
    if (o.withEnd) {
      elapsed += 5;
      const end = {
        ..._head(o.python, runId, name, "run_end"),
        created_at: new Date(t0 + elapsed).toISOString(),
        elapsed_ms: elapsed,
        value: {
          status: "finished",
          exit_code: 0,
          track_count: o.records,
          duration_ms: elapsed,
          summary: summary.toJSON(),
          summary_truncated: summary.truncated,
        },
      };
      lines.push(formatRecord(end));
    }
    const data = enc.encode(lines.join("\n") + "\n");
    Deno.writeFileSync(join(runsDir, `${runId}.jsonl`), data);
    bytes += data.length;
    if (lastAcc > best.last) best = { run_id: runId, last: lastAcc };
    if (maxAcc > bestMax.max) bestMax = { run_id: runId, max: maxAcc };
  }
  return { dir, runs: o.runs, records: o.records, bytes, best, bestMax };
}

/**
 * Writes `runs` small finished runs (run_start, 5 track records, run_end)
 * in our format, for `exprag runs` over many files.
 */
export function genSmallRuns(dir: string, runs: number): RunsInfo {
  return genRuns(dir, {
    runs,
    records: 5,
    withEnd: true,
    python: false,
    seed: 7,
  });
}

if (import.meta.main) {
  const [what, dir, a, b] = Deno.args.filter((x) => !x.startsWith("--"));
  const t0 = performance.now();
  let info: unknown;
  if (what === "runs") {
    info = genRuns(dir, {
      runs: Number(a),
      records: Number(b),
      withEnd: !FLAGS["no-end"],
      python: !!FLAGS.python,
    });
  } else if (what === "small") info = genSmallRuns(dir, Number(a));
  else {
    log("usage: data.ts runs|small <dir> ...");
    Deno.exit(2);
  }
  log(`${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(JSON.stringify(info));
}
