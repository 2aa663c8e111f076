/**
 * Per-run statistics of numeric paths: from run_end's summary when present,
 * else by streaming the run file with the same `SummaryBuilder` the tracker
 * uses, so both always agree.
 *
 * @module
 */

import {
  type PathStats,
  type RecordedNumber,
  SummaryBuilder,
  toNumber,
  toRecorded,
} from "../summary.ts";
import { canonicalPath } from "../value_path.ts";
import { _report } from "./paths.ts";
import { foreignReason, iterFileRecords } from "./reader.ts";
import { resolveRun } from "./refs.ts";
import { countNewlinesBefore, iterLinesBackward } from "./scan.ts";
import {
  localScanner,
  pathNeedle,
  scanFiles,
  type ScanResult,
} from "./scanner.ts";
import type { ReadOptions, Reducer, RunInfo, RunStats } from "./types.ts";

const REDUCERS: readonly Reducer[] = ["last", "first", "max", "min", "mean"];

/** Validates a reducer name. @internal */
export function checkReducer(by: unknown): Reducer {
  if (typeof by === "string" && (REDUCERS as readonly string[]).includes(by)) {
    return by as Reducer;
  }
  throw new RangeError(
    `Invalid reducer ${
      JSON.stringify(by)
    }: expected one of last, first, max, min, mean`,
  );
}

/**
 * Validates a numeric value path and returns it as a summary key: `value`
 * or `value.…`, segments as SummaryBuilder writes them (`[]` for list
 * elements). @internal
 */
export function valuePath(path: string): string {
  if (typeof path !== "string") {
    throw new TypeError(`Invalid path ${String(path)}: expected a string`);
  }
  if (path !== "value" && !(path.startsWith("value.") && path.length > 6)) {
    throw new RangeError(
      `Invalid path ${
        JSON.stringify(path)
      }: expected a track value path like value.metrics.acc`,
    );
  }
  return canonicalPath(path); // as recorded: value."a\tb" for a key "a\tb"
}

/**
 * Reduces a path's statistics to one number.
 *
 * @param stats The statistics (from run_end's summary or a scan).
 * @param by `last`, `first`, `max`, `min` or `mean` (over non-NaN values).
 * @returns The value in recorded form (`"NaN"` when there is no non-NaN value for max/min/mean).
 * @example
 * ```ts
 * import { reduceStats } from "./stats.ts";
 * reduceStats({ count: 2, first: 1, last: 3, min: 1, max: 3, sum: 4, nan: 0, first_ms: 0, last_ms: 5 }, "mean"); // 2
 * ```
 */
export function reduceStats(stats: PathStats, by: Reducer): RecordedNumber {
  switch (by) {
    case "last":
      return stats.last;
    case "first":
      return stats.first;
    case "max":
      return stats.max ?? "NaN";
    case "min":
      return stats.min ?? "NaN";
    case "mean": {
      const n = stats.count - stats.nan;
      return toRecorded(n > 0 ? (toNumber(stats.sum) ?? NaN) / n : NaN);
    }
  }
  checkReducer(by);
  return "NaN";
}

/** The end of the path's last key and its closing quote: a cheap line filter. */
function needleOf(key: string): Uint8Array | undefined {
  const needle = pathNeedle(key);
  return needle === undefined ? undefined : new TextEncoder().encode(needle);
}

/** Returns a copy of the options whose onProblem drops repeated problems. @internal */
export function dedupeProblems<T extends ReadOptions>(options: T): T {
  const cb = options.onProblem;
  if (cb === undefined || (cb as { _deduped?: boolean })._deduped) {
    return options;
  }
  const seen = new Set<string>();
  const wrapped = (p: { file: string; line: number; reason: string }) => {
    const key = `${p.file}\0${p.line}\0${p.reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    cb(p);
  };
  (wrapped as { _deduped?: boolean })._deduped = true;
  return { ...options, onProblem: wrapped };
}

function addRecordValues(
  b: SummaryBuilder,
  key: string,
  rec: Record<string, unknown>,
): boolean {
  const vals = localScanner().valuesOf(rec, key);
  const ms = typeof rec.elapsed_ms === "number" ? rec.elapsed_ms : 0;
  for (const v of vals) b.addNumber(key, v, ms);
  return vals.length > 0;
}

/** Slow, exact path: every line parsed and validated (problems reported). */
function scanSlow(
  file: string,
  key: string,
  options: ReadOptions,
  firstOnly: boolean,
): PathStats | null {
  const b = new SummaryBuilder();
  for (const { record } of iterFileRecords(file, options)) {
    if (addRecordValues(b, key, record) && firstOnly) break;
  }
  return b.toJSON()[key] ?? null;
}

/** Last numeric value at the path, reading the file backwards. */
function scanLast(
  file: string,
  key: string,
  options: ReadOptions,
  runId: string,
): RecordedNumber | null {
  const scanner = localScanner();
  for (const l of iterLinesBackward(file, needleOf(key))) {
    let rec: unknown;
    try {
      rec = JSON.parse(l.text);
    } catch {
      _report(options, {
        file,
        line: countNewlinesBefore(file, l.offset) + 1,
        reason: l.terminated
          ? "invalid JSON"
          : "torn line at end of file (no newline; crash mid-write?)",
      });
      continue;
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      _report(options, {
        file,
        line: countNewlinesBefore(file, l.offset) + 1,
        reason: "not a JSON object",
      });
      continue;
    }
    const id = (rec as Record<string, unknown>).run_id;
    if (id !== undefined && id !== runId) {
      _report(options, {
        file,
        line: countNewlinesBefore(file, l.offset) + 1,
        reason: foreignReason(id, runId),
      });
      continue;
    }
    const vals = scanner.valuesOf(rec as Record<string, unknown>, key);
    if (vals.length > 0) return toRecorded(vals[vals.length - 1]);
  }
  return null;
}

function feed(r: ScanResult & { status: "ok" }, key: string): PathStats | null {
  const b = new SummaryBuilder();
  for (let i = 0; i < r.n; i++) b.addNumber(key, r.values[i], r.elapsed[i]);
  return b.toJSON()[key] ?? null;
}

/**
 * Statistics of one path in one run file, by streaming it. @internal
 */
export function scanPathStats(
  file: string,
  path: string,
  options: ReadOptions = {},
  firstOnly = false,
): PathStats | null {
  const key = valuePath(path);
  if (!options.strict) {
    const r = localScanner().scanFile(file, key, firstOnly);
    if (r.status === "ok") return feed(r, key);
  }
  return scanSlow(file, key, options, firstOnly);
}

/**
 * Statistics of one path in many run files (in parallel workers when there
 * is much to read), in the order given. @internal
 */
export async function scanPathStatsMany(
  files: readonly string[],
  path: string,
  options: ReadOptions = {},
  firstOnly = false,
): Promise<(PathStats | null)[]> {
  const key = valuePath(path);
  if (options.strict) {
    return files.map((f) => scanSlow(f, key, options, firstOnly));
  }
  const sized = files.map((file) => {
    let bytes = 0;
    try {
      bytes = Deno.statSync(file).size;
    } catch {
      bytes = 0;
    }
    return { file, bytes };
  });
  const results = await scanFiles(sized, key, firstOnly);
  return results.map((r, i) =>
    r.status === "ok"
      ? feed(r, key)
      : scanSlow(files[i], key, options, firstOnly)
  );
}

function summaryOf(
  run: RunInfo,
): { paths: Record<string, PathStats>; truncated: boolean } | null {
  const s = run.end?.summary;
  if (s === undefined || s === null || typeof s !== "object") return null;
  return { paths: s, truncated: run.end?.summary_truncated === true };
}

/**
 * One run's reduced value at a path: from run_end's summary when it has the
 * path (or is complete), else by streaming the file (for `last`, backwards
 * to the last record holding the path). @internal
 */
export function reducedValue(
  run: RunInfo,
  path: string,
  by: Reducer,
  options: ReadOptions = {},
): {
  value: RecordedNumber | null;
  count: number | null;
  source: "summary" | "scan";
} {
  const key = valuePath(path);
  const sum = summaryOf(run);
  if (sum !== null) {
    const st = Object.hasOwn(sum.paths, key) ? sum.paths[key] : undefined;
    if (st !== undefined) {
      return { value: reduceStats(st, by), count: st.count, source: "summary" };
    }
    if (!sum.truncated) return { value: null, count: 0, source: "summary" };
  }
  if (by === "last" && !options.strict) {
    return {
      value: scanLast(run.file, key, options, run.id),
      count: null,
      source: "scan",
    };
  }
  const st = scanPathStats(run.file, key, options, by === "first");
  if (st === null) return { value: null, count: 0, source: "scan" };
  return {
    value: reduceStats(st, by),
    count: by === "first" ? null : st.count,
    source: "scan",
  };
}

/** A run's reduced value at a path. @internal */
export interface Reduced {
  value: RecordedNumber | null;
  count: number | null;
  source: "summary" | "scan";
}

/**
 * Reduced values of many runs at one path: summaries where possible, `last`
 * by reading backwards, other reducers by forward scans (in parallel when
 * large). @internal
 */
export async function reducedValues(
  runs: readonly RunInfo[],
  path: string,
  by: Reducer,
  options: ReadOptions = {},
): Promise<Reduced[]> {
  const key = valuePath(path);
  const out: (Reduced | undefined)[] = new Array(runs.length);
  const pending: number[] = [];
  runs.forEach((run, i) => {
    const sum = summaryOf(run);
    if (sum !== null) {
      const st = Object.hasOwn(sum.paths, key) ? sum.paths[key] : undefined;
      if (st !== undefined) {
        out[i] = {
          value: reduceStats(st, by),
          count: st.count,
          source: "summary",
        };
        return;
      }
      if (!sum.truncated) {
        out[i] = { value: null, count: 0, source: "summary" };
        return;
      }
    }
    if (by === "last" && !options.strict) {
      out[i] = {
        value: scanLast(run.file, key, options, run.id),
        count: null,
        source: "scan",
      };
      return;
    }
    pending.push(i);
  });
  if (pending.length > 0) {
    const stats = await scanPathStatsMany(
      pending.map((i) => runs[i].file),
      key,
      options,
      by === "first",
    );
    pending.forEach((i, k) => {
      const st = stats[k];
      out[i] = st === null ? { value: null, count: 0, source: "scan" } : {
        value: reduceStats(st, by),
        count: by === "first" ? null : st.count,
        source: "scan",
      };
    });
  }
  return out as Reduced[];
}

/**
 * Statistics of one numeric path in one run (run_end's summary when
 * available, else a streaming scan with the tracker's `SummaryBuilder`).
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run The run (from `listRuns`) or a run reference.
 * @param path A track value path, e.g. `value.metrics.acc`.
 * @param options Directory and problem handling.
 * @returns The statistics, or `null` when the run has no numeric value there.
 * @example
 * ```ts ignore
 * import { pathStats } from "./stats.ts";
 * const s = await pathStats("latest", "value.metrics.loss");
 * console.log(s?.min, s?.last);
 * ```
 */
export async function pathStats(
  run: RunInfo | string,
  path: string,
  options: ReadOptions = {},
): Promise<PathStats | null> {
  const key = valuePath(path);
  options = dedupeProblems(options);
  const r = typeof run === "string" ? await resolveRun(run, options) : run;
  const sum = summaryOf(r);
  if (sum !== null) {
    if (Object.hasOwn(sum.paths, key)) return sum.paths[key];
    if (!sum.truncated) return null;
  }
  return scanPathStats(r.file, key, options);
}

/**
 * Statistics of every numeric path of a run: run_end's summary when present
 * and complete, else a streaming scan of the track records with the same
 * `SummaryBuilder` the tracker uses.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run The run (from `listRuns`) or a run reference.
 * @param options Directory and problem handling.
 * @returns The run, its path statistics and where they came from.
 * @example
 * ```ts ignore
 * import { runStats } from "./stats.ts";
 * const { paths, source } = await runStats("latest");
 * ```
 */
export async function runStats(
  run: RunInfo | string,
  options: ReadOptions = {},
): Promise<RunStats> {
  options = dedupeProblems(options);
  const r = typeof run === "string" ? await resolveRun(run, options) : run;
  const sum = summaryOf(r);
  if (sum !== null && !sum.truncated) {
    return { run: r, paths: sum.paths, source: "summary", truncated: false };
  }
  const b = new SummaryBuilder();
  for (const { record } of iterFileRecords(r.file, options)) {
    if (record.kind !== "track") continue;
    b.add(
      record.value,
      typeof record.elapsed_ms === "number" ? record.elapsed_ms : 0,
    );
  }
  return { run: r, paths: b.toJSON(), source: "scan", truncated: b.truncated };
}
