/**
 * Types of the reading API (see docs/design.md for the record format).
 *
 * @module
 */

import type { Problem } from "../errors.ts";
import type { PathStats, RecordedNumber } from "../summary.ts";

export type { Problem };

/** Options shared by every reading function. */
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
  /** Version of exprag for Deno that wrote it; absent in Python exprag files. */
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
 * A run's state: the final status from `run_end`, or the inferred state of a
 * run without one (`running`, `crashed`, `unknown`). Exported from the
 * package root as `RunState` (the root's `RunStatus` is the tracker's).
 */
export type RunState =
  | "finished"
  | "failed"
  | "interrupted"
  | "running"
  | "crashed"
  | "unknown";

/** The `value` of a `run_end` record. */
export interface RunEnd {
  /** How the run ended. */
  status: "finished" | "failed" | "interrupted" | string;
  /** The process exit code, when known. */
  exit_code?: number | null;
  /** The error of a failed run. */
  error?: { name?: string; message?: string; stack?: string };
  /** The signal of an interrupted run. */
  signal?: string;
  /** Number of track records. */
  track_count?: number;
  /** `elapsed_ms` at the end. */
  duration_ms?: number;
  /** Per-path statistics of numeric leaves. */
  summary?: Record<string, PathStats>;
  /** True when some paths were left out of `summary`. */
  summary_truncated?: boolean;
  /** Any other key. */
  [key: string]: unknown;
}

/** One run, as read from the first and last lines of its file. */
export interface RunInfo {
  /** The run id. */
  id: string;
  /** The experiment name (`experiment_name`). */
  name: string | null;
  /** Path of the run file. */
  file: string;
  /** The status (see {@linkcode RunState}). */
  status: RunState;
  /** Why an inferred status was chosen (null when from `run_end`). */
  status_reason: string | null;
  /** `created_at` of run_start, as recorded. */
  started_at: string | null;
  /** `created_at` of the last complete record, as recorded. */
  last_at: string | null;
  /** `duration_ms` of run_end, else `elapsed_ms` of the last record. */
  duration_ms: number | null;
  /** Track records: run_end's `track_count`, else counted lines (null when not counted). */
  records: number | null;
  /** `"deno"` when written by exprag for Deno, `"python"` otherwise. */
  writer: "deno" | "python";
  /** `exprag_version` of run_start, or null for Python exprag files. */
  exprag_version: string | null;
  /** The git state of run_start (`null` when not captured). */
  git: Record<string, unknown> | null;
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

/** A note written back about a run (`exprag note`). */
export interface RunNote {
  /** When it was written (RFC 3339). */
  created_at: string;
  /** Who wrote it (`--author`), or null. */
  author: string | null;
  /** The text. */
  text: string;
}

/** How a path's values are reduced to one number per run. */
export type Reducer = "last" | "first" | "max" | "min" | "mean";

/** Which runs a query considers. */
export interface RunFilter {
  /** Runs started at or after this time (RFC 3339, date, or `7d`/`12h`/`30m`/`2w` ago). */
  since?: string | Date;
  /** Runs started at or before this time (same forms as `since`). */
  until?: string | Date;
  /** `PATH OP VALUE` clauses, all of which must hold (see {@linkcode WhereClause}). */
  where?: readonly (string | WhereClause)[];
  /** Reducer for `value.<path>` in `where` clauses (default `last`). */
  by?: Reducer;
}

/** A parsed `PATH OP VALUE` clause. */
export interface WhereClause {
  /** E.g. `metadata.hparams.lr`, `git.branch`, `status`, `value.metrics.acc`. */
  path: string;
  /** The operator. */
  op: "=" | "!=" | "<" | "<=" | ">" | ">=" | "~";
  /** The right-hand side, as written. */
  value: string;
}

/** Options of {@linkcode listRuns}. */
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

/** One value at a path. */
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

/** Options of {@linkcode selectValues}. */
export interface ValuesOptions extends ReadOptions, RunFilter {
  /** Only this run (a run reference). */
  run?: string;
  /** At most this many rows (the first ones, in run then line order). */
  limit?: number;
  /** Record kinds to read (default `["track"]`; `null` for all). */
  kinds?: readonly string[] | null;
}

/** Options of {@linkcode bestRuns}. */
export interface BestOptions extends ReadOptions, RunFilter {
  /** `max` (default) or `min`. */
  direction?: "max" | "min";
  /** Per-run reducer, default `last`. */
  by?: Reducer;
  /** How many runs to return (default 1; `Infinity` for all). */
  top?: number;
}

/** One ranked run. */
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

/** Result of {@linkcode bestRuns}. */
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
}

/** Alias of {@linkcode RunState} (within the reading API). */
export type RunStatus = RunState;
