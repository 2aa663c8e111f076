/**
 * Types of the reading API, built on the record format of `src/record.ts`
 * (the one home of the record types): what a reader gets from a run file,
 * where every field may be missing or of another writer.
 * Over 400 lines because each type that mod.ts exports carries a runnable
 * example (`deno test --doc`); the declarations themselves are short.
 *
 * @module
 */

import type { Problem } from "../errors.ts";
import type { EndStatus, ErrorInfo, GitState, RunEndValue } from "../record.ts";
import type { PathStats, RecordedNumber } from "../summary.ts";

export type { Problem };

/**
 * Options shared by every reading function.
 *
 * @example Skip bad lines, but collect them
 * ```ts
 * import { listRuns, type Problem, type ReadOptions } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * Deno.mkdirSync(`${dir}/runs`);
 * Deno.writeTextFileSync(`${dir}/runs/torn.jsonl`, '{"kind": "run_sta');
 * const problems: Problem[] = [];
 * const options: ReadOptions = { dir, onProblem: (p) => problems.push(p) };
 * equal((await listRuns(options)).length, 0);
 * equal(problems.length, 1); // file, line and reason of the torn line
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface ReadOptions {
  /**
   * The exprag directory (or its `runs` directory). Default: `EXPRAG_DIR`
   * when `--allow-env=EXPRAG_DIR` is granted, else `.exprag`.
   */
  dir?: string;
  /** Throw a `ProblemError` reading `file:line: reason` instead of skipping bad lines. */
  strict?: boolean;
  /** Called once for every skipped line or file (tolerant mode). */
  onProblem?: (problem: Problem) => void;
}

/** One parsed JSONL record. Readers accept the keys in any order. */
export interface ExpragRecord {
  /** Record schema version (1). */
  schema_version?: unknown;
  /** Version of the exprag that wrote it (the Python exprag writes its own). */
  exprag_version?: unknown;
  /** The run id (UUID). */
  run_id?: unknown;
  /** The experiment name. */
  experiment_name?: unknown;
  /** `"run_start"`, `"track"` or `"run_end"`. */
  kind?: unknown;
  /** RFC 3339 wall-clock time. */
  created_at?: unknown;
  /** Monotonic milliseconds since the run started. */
  elapsed_ms?: unknown;
  /** Optional note. */
  note?: unknown;
  /** The payload. */
  value?: unknown;
  /** Any other key. */
  [key: string]: unknown;
}

/** A record with its source, for citation as `file:line`. */
export interface SourcedRecord {
  /** The parsed record. */
  record: ExpragRecord;
  /** The file it was read from. */
  file: string;
  /** Its 1-based line number. */
  line: number;
}

/**
 * A run's state as the reader tells it: the tracker's {@linkcode EndStatus}
 * from `run_end`, or the inferred state of a run without one (`running`,
 * `crashed`, `unknown`). Named apart from the tracker's `RunStatus` (an
 * `EndStatus`), which the package root exports.
 *
 * @example Runs that did not finish
 * ```ts
 * import { Experiment, listRuns, type RunState } from "@exprag/cli";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("ok", { dir, git: false }).end();
 * new Experiment("bad", { dir, git: false }).end({ error: new Error("NaN loss") });
 * const done: RunState[] = ["finished"];
 * const others = (await listRuns({ dir })).filter((r) => !done.includes(r.status));
 * deepEqual(others.map((r) => [r.name, r.status]), [["bad", "failed"]]);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export type RunState = EndStatus | "running" | "crashed" | "unknown";

/**
 * The `value` of a `run_end` record as read: the tracker's `RunEndValue`
 * (`src/record.ts`) with every field but `status` optional (files of other
 * writers or versions may lack any) and any other key kept.
 *
 * @example The error of a failed run
 * ```ts
 * import { Experiment, resolveRun, type RunEnd } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("train", { dir, git: false }).end({ error: new Error("NaN loss") });
 * const end: RunEnd | null = (await resolveRun("latest", { dir })).end;
 * equal(end?.status, "failed");
 * equal(end?.error?.message, "NaN loss");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface RunEnd
  extends Partial<Omit<RunEndValue, "status" | "error" | "signal">> {
  /** How the run ended: an {@linkcode EndStatus}, or whatever the file says. */
  status: EndStatus | string;
  /** The error of a failed run. */
  error?: Partial<ErrorInfo>;
  /** The signal of an interrupted run. */
  signal?: string;
  /** Any other key. */
  [key: string]: unknown;
}

/**
 * One run, as read from the first and last lines of its file.
 *
 * @example What a listing tells about a run
 * ```ts
 * import { Experiment, listRuns, type RunInfo } from "@exprag/cli";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("train", { dir, git: false, metadata: { lr: 0.1 } });
 *   exp.track({ loss: 0.5 });
 * }
 * const [run]: RunInfo[] = await listRuns({ dir });
 * equal(run.status, "finished");
 * equal(run.records, 1);
 * deepEqual(run.metadata, { lr: 0.1 });
 * equal(run.git, null); // git: false
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface RunInfo {
  /** The run id. */
  id: string;
  /** The experiment name (`experiment_name`). */
  name: string | null;
  /** Path of the run file. */
  file: string;
  /** The status (see {@linkcode RunState}). */
  status: RunState;
  /**
   * Why an inferred status was chosen; for a failed run its error
   * (`TypeError: bad batch`, null when none was recorded); else null when
   * from `run_end`.
   */
  status_reason: string | null;
  /** `created_at` of run_start, as recorded. */
  started_at: string | null;
  /** `created_at` of the last complete record, as recorded. */
  last_at: string | null;
  /** `duration_ms` of run_end, else `elapsed_ms` of the last record. */
  duration_ms: number | null;
  /** Track records: run_end's `track_count`, else counted lines (null when not counted). */
  records: number | null;
  /**
   * `"deno"` when written by exprag for Deno (run_start records
   * `runtime.deno`), `"python"` otherwise.
   */
  writer: "deno" | "python";
  /** `exprag_version` of run_start for exprag for Deno files, else null. */
  exprag_version: string | null;
  /**
   * The git state of run_start (`null` when not captured), as the tracker
   * records it; Python exprag files have `branch`, `commit`, `dirty` only.
   */
  git: GitState | null;
  /** The user metadata, or null when not given. */
  metadata: unknown;
  /** run_start's `host` object. */
  host: Record<string, unknown> | null;
  /** run_start's `process` object. */
  process: Record<string, unknown> | null;
  /** The whole run_start value. */
  start: Record<string, unknown>;
  /** The run_end value, or null. */
  end: RunEnd | null;
  /** The exit code of run_end, or null. */
  exit_code: number | null;
  /**
   * Tags written back with `exprag tag` (key → last value), from
   * `<dir>/notes/<run_id>.jsonl`; set on every listed run (`{}` when none).
   */
  tags?: Record<string, string>;
  /** Notes written back with `exprag note`, oldest first; set on every listed run. */
  notes?: RunNote[];
}

/**
 * A note written back about a run (`exprag note`), as listed runs carry it.
 *
 * @example Write a conclusion back, then read it with the run
 * ```ts
 * import { Experiment, resolveRun, type RunNote } from "@exprag/cli";
 * import { main } from "@exprag/cli/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("train", { dir, git: false }).end();
 * equal(await main(["--dir", dir, "note", "latest", "diverged: lr too high"]), 0);
 * const notes: RunNote[] = (await resolveRun("latest", { dir })).notes ?? [];
 * equal(notes[0].text, "diverged: lr too high");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface RunNote {
  /** When it was written (RFC 3339). */
  created_at: string;
  /** Who wrote it (`--author`), or null. */
  author: string | null;
  /** The text. */
  text: string;
}

/**
 * How a path's values are reduced to one number per run.
 *
 * @example Rank by the mean instead of the last value
 * ```ts
 * import { bestRuns, Experiment, type Reducer } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("train", { dir, git: false });
 *   for (const acc of [0.2, 0.4, 0.9]) exp.track({ acc });
 * }
 * const by: Reducer = "mean";
 * equal((await bestRuns("value.acc", { dir, by })).rows[0].value, 0.5);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export type Reducer = "last" | "first" | "max" | "min" | "mean";

/**
 * Which runs a query considers.
 *
 * @example Recent runs of one branch
 * ```ts
 * import { listRuns, type RunFilter } from "@exprag/cli";
 *
 * const filter: RunFilter = { since: "7d", where: ["git.head_branch = main"] };
 * const dir = Deno.makeTempDirSync();
 * const runs = await listRuns({ dir, ...filter });
 * console.log(runs.length); // 0: nothing recorded in this empty directory
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface RunFilter {
  /**
   * Runs started at or after this time: RFC 3339, a date, `7d`/`12h`/`30m`/`2w`
   * ago, or nanoseconds since the epoch (a bound parsed once with
   * `parseTimeBound`, e.g. to check it before asking several questions).
   */
  since?: string | Date | bigint;
  /** Runs started at or before this time (same forms as `since`). */
  until?: string | Date | bigint;
  /** `PATH OP VALUE` clauses, all of which must hold (see {@linkcode WhereClause}). */
  where?: readonly (string | WhereClause)[];
  /** Reducer for `value.<path>` in `where` clauses (default `last`). */
  by?: Reducer;
}

/**
 * A parsed `PATH OP VALUE` clause.
 *
 * @example A clause as an object: no quoting of the value needed
 * ```ts
 * import { Experiment, listRuns, type WhereClause } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("train", { dir, git: false, metadata: { data: "a b" } }).end();
 * const clause: WhereClause = { path: "metadata.data", op: "=", value: "a b" };
 * equal((await listRuns({ dir, where: [clause] })).length, 1);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface WhereClause {
  /** E.g. `metadata.hparams.lr`, `git.branch`, `status`, `value.metrics.acc`. */
  path: string;
  /** The operator. */
  op: "=" | "!=" | "<" | "<=" | ">" | ">=" | "~";
  /** The right-hand side, as written. */
  value: string;
}

/**
 * Options of {@linkcode listRuns}.
 *
 * @example The newest failed run
 * ```ts
 * import { Experiment, listRuns, type ListRunsOptions } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const name of ["a", "b", "c"]) {
 *   new Experiment(name, { dir, git: false }).end({ error: new Error(name) });
 * }
 * const options: ListRunsOptions = { dir, where: ["status = failed"], limit: 1 };
 * equal((await listRuns(options))[0].name, "c");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface ListRunsOptions extends ReadOptions, RunFilter {
  /** Keep only the newest `limit` runs (after filtering). */
  limit?: number;
}

/** Statistics of every numeric path of one run. */
export interface RunStats {
  /** The run. */
  run: RunInfo;
  /** Path → statistics (same shape as run_end.summary). */
  paths: Record<string, PathStats>;
  /** `"summary"` when read from run_end, `"scan"` when computed from the records. */
  source: "summary" | "scan";
  /** True when the statistics are incomplete (more than 1024 paths). */
  truncated: boolean;
}

/** A discovered value path (as Python exprag's `discover_value_paths`). */
export interface PathInfo {
  /** E.g. `value.metrics.acc`, lists as `[]`: `value.history.[].loss`. */
  path: string;
  /** How many leaves were seen at this path. */
  count: number;
  /** In how many runs the path occurs. */
  runs: number;
  /** JSON types seen: `number`, `string`, `boolean`, `null`, `object`, `array`. */
  types: string[];
  /** Up to `maxExamples` distinct example values. */
  examples: unknown[];
  /** True when every leaf is numeric (numbers and the NaN/Infinity strings). */
  numeric: boolean;
}

/** Options of {@linkcode discoverPaths}. */
export interface DiscoverOptions extends ReadOptions, RunFilter {
  /** Only this run (a run reference). */
  run?: string;
  /** Keep paths containing this substring (case-insensitive). */
  contains?: string;
  /** Keep only numeric (`true`) or non-numeric (`false`) paths. */
  numeric?: boolean;
  /** Record kinds to scan (default `["track"]`; `null` for all). */
  kinds?: readonly string[] | null;
  /** Examples per path (default 3). */
  maxExamples?: number;
  /** At most this many paths. */
  limit?: number;
}

/**
 * One value at a path.
 *
 * @example Cite where a value was recorded
 * ```ts
 * import { Experiment, selectValues, type ValueRow } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("train", { dir, git: false });
 *   exp.track({ acc: 0.7 }, { note: "epoch 1" });
 * }
 * const [row]: ValueRow[] = await selectValues("value.acc", { dir });
 * equal(`${row.file.split("/").pop()}:${row.line}`, `${row.run_id}.jsonl:2`);
 * equal(row.note, "epoch 1");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface ValueRow {
  /** The run id. */
  run_id: string;
  /** The experiment name. */
  name: string | null;
  /** `created_at` of the record, as recorded. */
  created_at: string | null;
  /** `elapsed_ms` of the record. */
  elapsed_ms: number | null;
  /** The value (recorded form: NaN stays `"NaN"`). */
  value: unknown;
  /** The record's note, if any. */
  note: string | null;
  /** Source file. */
  file: string;
  /** Source line (1-based). */
  line: number;
}

/**
 * Options of {@linkcode selectValues}.
 *
 * @example The first values of every run since yesterday
 * ```ts
 * import { selectValues, type ValuesOptions } from "@exprag/cli";
 *
 * const dir = Deno.makeTempDirSync();
 * const options: ValuesOptions = { dir, since: "1d", limit: 10 };
 * console.log(await selectValues("value.metrics.loss", options)); // []: no runs yet
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface ValuesOptions extends ReadOptions, RunFilter {
  /** Only this run (a run reference). */
  run?: string;
  /** At most this many rows (the first ones, in run then line order). */
  limit?: number;
  /** Record kinds to read (default `["track"]`; `null` for all). */
  kinds?: readonly string[] | null;
}

/**
 * Options of {@linkcode bestRuns}.
 *
 * @example The three runs with the highest peak accuracy at batch size 32
 * ```ts
 * import { bestRuns, type BestOptions } from "@exprag/cli";
 *
 * const options: BestOptions = {
 *   dir: Deno.makeTempDirSync(),
 *   direction: "max",
 *   by: "max",
 *   top: 3,
 *   where: ["metadata.batch_size = 32"],
 * };
 * const { rows, considered } = await bestRuns("value.metrics.acc", options);
 * console.log(rows.length, considered); // 0 0: no runs yet
 * Deno.removeSync(options.dir!, { recursive: true });
 * ```
 */
export interface BestOptions extends ReadOptions, RunFilter {
  /** `max` (default) or `min`. */
  direction?: "max" | "min";
  /** Per-run reducer, default `last`. */
  by?: Reducer;
  /** How many runs to return (default 1; `Infinity` for all). */
  top?: number;
  /**
   * Which statuses are ranked: `any` (default), a list of states, or
   * `auto` (the CLI's default): the finished runs when any finished, else all.
   */
  status?: "auto" | "any" | readonly string[];
}

/**
 * One ranked run.
 *
 * @example Rank, run and value of the winner
 * ```ts
 * import { bestRuns, type BestRow, Experiment } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * for (const acc of [0.6, "NaN", 0.8]) {
 *   using exp = new Experiment("train", { dir, git: false });
 *   exp.track({ acc });
 * }
 * const rows: BestRow[] = (await bestRuns("value.acc", { dir, top: Infinity })).rows;
 * equal(rows.map((r) => `${r.rank}:${r.value}`).join(" "), "1:0.8 2:0.6 3:NaN");
 * equal(rows[0].source, "summary"); // read from run_end, not by scanning
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface BestRow {
  /** 1-based rank; NaN values come after every number. */
  rank: number;
  /** The run. */
  run: RunInfo;
  /** The reduced value in recorded form (`"NaN"`, `"Infinity"` stay strings). */
  value: RecordedNumber;
  /** Number of values at the path in the run, when known. */
  count: number | null;
  /** `"summary"` (run_end) or `"scan"` (records read). */
  source: "summary" | "scan";
}

/**
 * Result of {@linkcode bestRuns}.
 *
 * @example How many runs lacked the path
 * ```ts
 * import { bestRuns, type BestResult, Experiment } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("no metrics", { dir, git: false }).end();
 * const result: BestResult = await bestRuns("value.acc", { dir });
 * equal(result.considered, 1);
 * equal(result.missing, 1);
 * equal(result.rows.length, 0);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface BestResult {
  /** The path ranked. */
  path: string;
  /** The direction. */
  direction: "max" | "min";
  /** The reducer. */
  by: Reducer;
  /** The top runs, best first. */
  rows: BestRow[];
  /** How many runs passed the filters. */
  considered: number;
  /** How many of those had no numeric value at the path. */
  missing: number;
  /** Runs that passed the filters but not the status choice, by status. */
  left_out: Record<string, number>;
  /** How many runs that passed the filters have a run_end. */
  ended: number;
  /** How many of the runs ranked finished. */
  finished: number;
}

/** One metadata difference between two runs. */
export interface MetadataDiff {
  /** Flat path, e.g. `metadata.hparams.lr` (lists as `[0]`-less JSON). */
  path: string;
  /** Value in run A (`undefined` when absent). */
  a: unknown;
  /** Value in run B (`undefined` when absent). */
  b: unknown;
}

/** Final and best values of one shared numeric path. */
export interface PathComparison {
  /** The path. */
  path: string;
  /** Statistics in run A. */
  a: PathStats;
  /** Statistics in run B. */
  b: PathStats;
  /** `b.last - a.last` when both are finite numbers, else null. */
  last_delta: number | null;
}

/** Result of {@linkcode compareRuns}. */
export interface Comparison {
  /** Run A. */
  a: RunInfo;
  /** Run B. */
  b: RunInfo;
  /** Metadata leaves that differ (present in one only, or different values). */
  metadata: MetadataDiff[];
  /** Git fields that differ (commit, branch, dirty, head, head_branch). */
  git: MetadataDiff[];
  /** Shared numeric paths with both runs' statistics. */
  paths: PathComparison[];
  /** Numeric paths only in A. */
  only_a: string[];
  /** Numeric paths only in B. */
  only_b: string[];
  /**
   * Which runs have more numeric paths than their statistics hold (the
   * first 1024): `paths`, `only_a` and `only_b` leave the others out.
   */
  truncated: { a: boolean; b: boolean };
}
