// Shared helpers for the benchmark suite: statistics, subprocesses with peak
// memory, detection of which of our pieces exist, and the result format.
//
// Bench code only: never imported by src/.
import { join, resolve } from "node:path";

/** Absolute path of the repository root. */
export const ROOT: string = resolve(import.meta.dirname!, "..");
/** Absolute path of bench/. */
export const BENCH: string = resolve(import.meta.dirname!);
/** Where generated data lives: bench/.data (gitignored), or $EXPRAG_BENCH_DATA. */
export const DATA: string = Deno.env.get("EXPRAG_BENCH_DATA") ||
  join(BENCH, ".data");
/** file URL of mod.ts. */
export const MOD_URL: string = new URL("../mod.ts", import.meta.url).href;
/** Absolute path of cli.ts. */
export const CLI_PATH: string = join(ROOT, "cli.ts");
/** Path of the deno binary running this process (bench children run it too). */
export const DENO: string = Deno.execPath();

/** Pinned npm peers (bench only). */
export const PINO = "npm:pino@10.4.0";
/** Pinned DuckDB Node API (bench only; works with "nodeModulesDir": "none"). */
export const DUCKDB = "npm:@duckdb/node-api@1.5.6-r.1";

// ---------------------------------------------------------------- results

/** One cell value: a number, text, or null (not measured). */
export type Cell = number | string | null;

/** One measured row of a section table. */
export interface Row {
  /** What was measured, e.g. `raw writeSync (stringify+encode)`. */
  name: string;
  /** `ours`, `peer` or `reference` (what the ratios are against). */
  role: "ours" | "peer" | "reference";
  /** Column values keyed by the section's column names. */
  cells: Record<string, Cell>;
  /** Why the row has no numbers (missing piece, failed peer). */
  missing?: string;
}

/** One target check. */
export interface Target {
  /** Human text, e.g. `track() ≥ 0.9× raw writeSync`. */
  text: string;
  /** The measured ratio (null when ours is missing). */
  value: number | null;
  /** The limit. */
  limit: number;
  /** How value compares to limit. */
  op: ">=" | "<=";
  /** Whether met, or null when not measurable. */
  met: boolean | null;
  /** Unit of value and limit (default `×`). */
  unit?: string;
}

/** What each section produces. */
export interface Section {
  /** Short id: `track`, `start`, `query`, `cli`. */
  id: string;
  /** Title printed above the table. */
  title: string;
  /** Column names in order (the first column is always the row name). */
  columns: string[];
  /** Measured rows. */
  rows: Row[];
  /** Target checks. */
  targets: Target[];
  /** Free notes (parameters, profiles, caveats). */
  notes: string[];
}

/**
 * The machine's load averages over 1, 5 and 15 minutes, as `uptime` prints
 * them (`Deno.loadavg()`; zeros where the OS has none).
 */
export function loadText(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

/** This process's `--key=value` / `--flag` arguments. */
export const FLAGS: Record<string, string | true> = parseArgs(Deno.args);
/** Whether this is a smoke run (`--smoke`): tiny data, targets not judged. */
export const SMOKE: boolean = !!FLAGS.smoke;

/**
 * A numeric option of this section: `--name=N`, else its default for a smoke
 * or a full run.
 *
 * @param name The option's name, without `--`.
 * @param defaults The value of a smoke run, then of a full run.
 * @returns The number.
 */
export function numberFlag(
  name: string,
  defaults: [smoke: number, full: number],
): number {
  return Number(FLAGS[name] ?? (SMOKE ? defaults[0] : defaults[1]));
}

/** Builds a target record (never judged in smoke runs: the data are tiny). */
export function target(
  text: string,
  value: number | null | undefined,
  op: ">=" | "<=",
  limit: number,
  unit?: string,
): Target {
  const v = value === undefined || value === null || !Number.isFinite(value)
    ? null
    : value;
  return {
    text,
    value: v,
    limit,
    op,
    met: v === null || SMOKE ? null : op === ">=" ? v >= limit : v <= limit,
    unit,
  };
}

// ---------------------------------------------------------------- statistics

/** The median of some numbers. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of per-round ratios a[i]/b[i] (paired samples cancel machine noise). */
export function pairedRatio(a: number[], b: number[]): number {
  const r: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) r.push(a[i] / b[i]);
  return median(r);
}

/** The largest of some numbers, or null when there are none. */
export function peak(xs: number[]): number | null {
  return xs.length ? Math.max(...xs) : null;
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Formats a number for the table. */
export function fmt(x: Cell, digits = 3): string {
  if (x === null || x === undefined) return "–";
  if (typeof x === "string") return x;
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e4) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a === 0) return "0";
  return x.toPrecision(digits);
}

// ---------------------------------------------------------------- subprocesses

/** Result of a measured subprocess. */
export interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time in seconds, measured around the spawn. */
  seconds: number;
  /** Peak resident set size in MiB (null when it could not be read). */
  maxRssMiB: number | null;
}

const _dec = new TextDecoder();
let _timeBin: string | null | undefined;

/** `/usr/bin/time` when it supports `-v` (GNU time), else null. */
export function gnuTime(): string | null {
  if (_timeBin !== undefined) return _timeBin;
  _timeBin = null;
  for (const p of ["/usr/bin/time"]) {
    try {
      const o = new Deno.Command(p, {
        args: ["-v", "true"],
        stdout: "null",
        stderr: "piped",
      }).outputSync();
      if (
        o.success && _dec.decode(o.stderr).includes("Maximum resident set")
      ) _timeBin = p;
    } catch { /* absent */ }
  }
  return _timeBin;
}

/**
 * Runs a command to completion, measuring wall time and peak RSS: with GNU
 * `time -v` when present (its own cost is a fork+wait, well under 1 ms), else
 * by polling `/proc/<pid>/status` VmHWM (a high-water mark, so the last poll
 * before exit is close to the peak).
 */
export async function measure(
  cmd: string,
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string>;
    /** Discard stdout (e.g. an export of gigabytes); `stdout` is then "". */
    discardStdout?: boolean;
  } = {},
): Promise<Measured> {
  const time = gnuTime();
  const [c, a] = time ? [time, ["-v", cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const child = new Deno.Command(c, {
    args: a,
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: opts.discardStdout ? "null" : "piped",
    stderr: "piped",
  }).spawn();
  let hwm: number | null = null;
  let poll: ReturnType<typeof setInterval> | undefined;
  if (!time) {
    const read = () => {
      try {
        const s = Deno.readTextFileSync(`/proc/${child.pid}/status`);
        const m = s.match(/VmHWM:\s+(\d+) kB/);
        if (m) hwm = Math.max(hwm ?? 0, Number(m[1]) / 1024);
      } catch { /* gone */ }
    };
    read();
    poll = setInterval(read, 2);
  }
  const out = await child.output();
  const seconds = (performance.now() - t0) / 1000;
  if (poll !== undefined) clearInterval(poll);
  let stderr = _dec.decode(out.stderr);
  let maxRssMiB: number | null = hwm;
  if (time) {
    const i = stderr.lastIndexOf("\tCommand being timed:");
    const tail = i >= 0 ? stderr.slice(i) : "";
    const m = tail.match(/Maximum resident set size \(kbytes\): (\d+)/);
    if (m) maxRssMiB = Number(m[1]) / 1024;
    if (i >= 0) stderr = stderr.slice(0, i);
    // GNU time prints "Command exited with non-zero status N" before the block.
    stderr = stderr.replace(
      /Command (exited with non-zero status|terminated by signal) \d+\n$/,
      "",
    );
  }
  return {
    code: out.code,
    stdout: opts.discardStdout ? "" : _dec.decode(out.stdout),
    stderr,
    seconds,
    maxRssMiB,
  };
}

/** A case of a section timed as cold subprocesses: its row's name and role. */
export interface TimedCase {
  name: string;
  role: Row["role"];
}

/**
 * The table rows of timed cases: `cells(case, walls)` for each case that
 * was measured, else the reason it was not (a failed check, or what is
 * missing).
 */
export function timedRows<C extends TimedCase>(
  cases: readonly C[],
  o: {
    wall: Map<string, number[]>;
    bad: Map<string, string>;
    missing?: string;
    cells: (c: C, wall: number[]) => Record<string, Cell>;
  },
): Row[] {
  return cases.map((c): Row => {
    const w = o.wall.get(c.name) ?? [];
    if (!w.length || o.bad.has(c.name)) {
      return {
        name: c.name,
        role: c.role,
        cells: {},
        missing: o.bad.get(c.name) ?? o.missing,
      };
    }
    return { name: c.name, role: c.role, cells: o.cells(c, w) };
  });
}

/** Runs a command synchronously; throws with its stderr on failure. */
export function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): string {
  const out = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${
        _dec.decode(out.stderr).slice(0, 2000)
      }`,
    );
  }
  return _dec.decode(out.stdout);
}

/** `deno` flags every bench child gets (no lockfile writes into the repo). */
export const DENO_CHILD_FLAGS = ["--no-lock", "--no-prompt"];

/**
 * Runs a bench section script (`bench/<file>`) in a child Deno process and
 * returns the {@linkcode Section} it prints as the last stdout line.
 */
export async function runSection(
  file: string,
  args: string[],
): Promise<Section> {
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", ...DENO_CHILD_FLAGS, join(BENCH, file), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = await child.output();
  const text = _dec.decode(out.stdout).trimEnd();
  const last = text.slice(text.lastIndexOf("\n") + 1);
  if (!out.success) {
    throw new Error(`bench/${file} exited with ${out.code}`);
  }
  return JSON.parse(last) as Section;
}

/** Prints a section as the last line of stdout (for runSection). */
export function emit(section: Section): void {
  console.log(JSON.stringify(section));
}

/** Progress output of a section (stderr, so stdout stays machine-readable). */
export function log(...args: unknown[]): void {
  console.error(...args);
}

// ---------------------------------------------------------------- our pieces

/** Whether a file exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The Experiment class from mod.ts, or the reason it is not there yet. */
export async function loadExperiment(): Promise<
  // deno-lint-ignore no-explicit-any
  { Experiment: any; missing?: undefined } | {
    Experiment?: undefined;
    missing: string;
  }
> {
  try {
    const mod = await import(MOD_URL);
    if (typeof mod.Experiment !== "function") {
      return { missing: "mod.ts does not export Experiment yet" };
    }
    return { Experiment: mod.Experiment };
  } catch (e) {
    return { missing: `mod.ts failed to load: ${(e as Error).message}` };
  }
}

/** The minimal flags our CLI needs for a read-only question, then the command. */
export function oursArgs(dir: string, args: string[]): string[] {
  return [
    "run",
    "--no-prompt",
    "--no-lock",
    `--allow-read=${dir}`,
    CLI_PATH,
    ...args,
    "--dir",
    dir,
  ];
}

/** Whether cli.ts exists, or why not. */
export function cliMissing(): string | undefined {
  return exists(CLI_PATH) ? undefined : "cli.ts does not exist yet";
}

/** Parses `--key=value` / `--flag` arguments. */
export function parseArgs(args: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const a of args) {
    if (!a.startsWith("--")) continue;
    const i = a.indexOf("=");
    if (i < 0) out[a.slice(2)] = true;
    else out[a.slice(2, i)] = a.slice(i + 1);
  }
  return out;
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Removes a path recursively, ignoring absence. */
export function rm(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Removes a directory if it is there and makes it again, empty; returns it. */
export function freshDir(path: string): string {
  rm(path);
  Deno.mkdirSync(path, { recursive: true });
  return path;
}

/** Size of a directory tree in bytes. */
export function duBytes(path: string): number {
  let n = 0;
  for (const e of Deno.readDirSync(path)) {
    const p = join(path, e.name);
    if (e.isDirectory) n += duBytes(p);
    else if (e.isFile) n += Deno.statSync(p).size;
  }
  return n;
}
