/**
 * Per-run statistics and reduced values of numeric paths: from run_end's
 * summary when present, else by streaming the run file with the same
 * `SummaryBuilder` the tracker uses, so both always agree.
 *
 * @module
 */

import { canonicalPath, DISPLAY_UNSAFE } from "../value_path.ts";
import {
  type PathStats,
  type RecordedNumber,
  recordedStats,
  SummaryBuilder,
  toRecorded,
} from "../summary.ts";
import { trackPathKey } from "./get_path.ts";
import { dedupeProblems, report } from "./problems.ts";
import {
  foreignReason,
  iterFileRecords,
  lineInProgress,
  TORN_LINE,
} from "./reader.ts";
import { reduceStats } from "./reduce.ts";
import { summaryStatsAt } from "./lazy_summary.ts";
import { listedSummaryStats } from "./lazy_run.ts";
import { countNewlinesBefore, iterLinesBackward } from "./lines.ts";
import {
  localScanner,
  pathNeedle,
  scanFiles,
  type StatsResult,
} from "./scanner.ts";
import { scanAllPaths } from "./scanner/all_paths.ts";
import type { ReadOptions, Reducer, RunInfo, RunStats } from "./types.ts";

/** The end of the path's last key and its closing quote: a cheap line filter. */
function needleOf(key: string): Uint8Array | undefined {
  const needle = pathNeedle(key);
  return needle === undefined ? undefined : new TextEncoder().encode(needle);
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
  let sizeRead: number;
  try {
    sizeRead = Deno.statSync(file).size;
  } catch {
    sizeRead = Number.MAX_SAFE_INTEGER;
  }
  for (const l of iterLinesBackward(file, needleOf(key))) {
    let rec: unknown;
    try {
      rec = JSON.parse(l.text);
    } catch {
      // a live run's last line, in progress: not torn
      if (!l.terminated && lineInProgress(file, sizeRead)) continue;
      report(options, {
        file,
        line: countNewlinesBefore(file, l.offset) + 1,
        reason: l.terminated ? "invalid JSON" : TORN_LINE,
      });
      continue;
    }
    if (rec === null || typeof rec !== "object" || Array.isArray(rec)) {
      report(options, {
        file,
        line: countNewlinesBefore(file, l.offset) + 1,
        reason: "not a JSON object",
      });
      continue;
    }
    const id = (rec as Record<string, unknown>).run_id;
    if (id !== undefined && id !== runId) {
      report(options, {
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

function feed(r: StatsResult & { status: "ok" }): PathStats | null {
  return r.stats === null ? null : recordedStats(r.stats);
}

/**
 * Statistics of one path in one run file, by streaming it (the fast
 * scanner, or every line parsed when strict or when it gives up).
 *
 * @param file The run file.
 * @param path A track value path.
 * @param options Problem handling.
 * @param firstOnly Stop at the first value.
 * @returns The statistics, or `null` when the file has no number there.
 */
export function scanPathStats(
  file: string,
  path: string,
  options: ReadOptions = {},
  firstOnly = false,
): PathStats | null {
  const key = trackPathKey(path);
  if (!options.strict) {
    const r = localScanner().scanStats(file, key, firstOnly);
    if (r.status === "ok") return feed(r);
  }
  return scanSlow(file, key, options, firstOnly);
}

/**
 * Statistics of one path in many run files (in parallel workers when there
 * is much to read), in the order given.
 *
 * @param files The run files.
 * @param path A track value path.
 * @param options Problem handling.
 * @param firstOnly Stop at the first value of each file.
 * @returns The statistics of each file, or `null` where it has none.
 */
export async function scanPathStatsMany(
  files: readonly string[],
  path: string,
  options: ReadOptions = {},
  firstOnly = false,
): Promise<(PathStats | null)[]> {
  const key = trackPathKey(path);
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
    r.status === "ok" ? feed(r) : scanSlow(files[i], key, options, firstOnly)
  );
}

function summaryOf(
  run: RunInfo,
): { paths: Record<string, PathStats>; truncated: boolean } | null {
  const s = run.end?.summary;
  if (s === undefined || s === null || typeof s !== "object") return null;
  return {
    paths: canonicalSummary(s),
    truncated: run.end?.summary_truncated === true,
  };
}

/**
 * One path's statistics from a run's summary: read from the summary's text
 * when it is still in the file (see `summaryStatsAt`), else from the
 * parsed summary.
 *
 * @returns `null` without a summary; else the path's statistics
 *   (`undefined` when the summary lacks it) and whether it is truncated.
 */
function summaryAt(
  run: RunInfo,
  key: string,
): { stats: PathStats | undefined; truncated: boolean } | null {
  const listed = listedSummaryStats(run, key); // the line alone, nothing kept
  if (listed !== undefined) {
    return listed === null
      ? null
      : { stats: listed.stats ?? undefined, truncated: listed.truncated };
  }
  const end = run.end;
  if (end === null) return null;
  const quick = summaryStatsAt(end, key);
  if (quick !== undefined) {
    return {
      stats: quick ?? undefined,
      truncated: end.summary_truncated === true,
    };
  }
  const sum = summaryOf(run);
  if (sum === null) return null;
  return {
    stats: Object.hasOwn(sum.paths, key) ? sum.paths[key] : undefined,
    truncated: sum.truncated,
  };
}

/** A character that a canonical path writes only inside a quoted key. */
const QUOTABLE = new RegExp(`["\\\\\\s${DISPLAY_UNSAFE}\\ud800-\\udfff]`, "u");

const canonicalSummaries = new WeakMap<object, Record<string, PathStats>>();

/**
 * A summary keyed by canonical paths. Summaries written before keys were
 * quoted (exprag for Deno 0.1.0) hold keys such as `value.C:\data` bare;
 * they are read under today's form (`value."C:\\data"`), so `best` and
 * `show` find them. Keys without a quotable character are canonical as
 * written, so most summaries are returned as they are (checked once each).
 */
function canonicalSummary(
  s: Record<string, PathStats>,
): Record<string, PathStats> {
  let out = canonicalSummaries.get(s);
  if (out !== undefined) return out;
  out = s;
  for (const k in s) {
    if (!QUOTABLE.test(k)) continue;
    out = {};
    for (const [key, stats] of Object.entries(s)) {
      let c = key;
      if (QUOTABLE.test(key)) {
        try {
          c = canonicalPath(key);
        } catch {
          c = key; // not a path this reader can write: kept as recorded
        }
      }
      if (!Object.hasOwn(out, c)) {
        Object.defineProperty(out, c, {
          value: stats,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    break;
  }
  // only a rewritten summary is kept: an entry per summary read (a new
  // object each time for a listed run) would stay until a full GC
  if (out !== s) canonicalSummaries.set(s, out);
  return out;
}

/** A run's reduced value at a path. */
export interface Reduced {
  /** The value in recorded form, or `null` when the run has none. */
  value: RecordedNumber | null;
  /** How many values the path has in the run, when known. */
  count: number | null;
  /** Where it came from: run_end's summary or a scan of the file. */
  source: "summary" | "scan";
}

/**
 * Reduced values of many runs at one path: summaries where possible, `last`
 * by reading backwards, other reducers by forward scans (in parallel when
 * large).
 *
 * @param runs The runs.
 * @param path A track value path.
 * @param by The reducer.
 * @param options Problem handling.
 * @returns One reduced value per run, in the order given.
 */
export async function reducedValues(
  runs: readonly RunInfo[],
  path: string,
  by: Reducer,
  options: ReadOptions = {},
): Promise<Reduced[]> {
  const key = trackPathKey(path);
  const out: (Reduced | undefined)[] = new Array(runs.length);
  const pending: number[] = [];
  runs.forEach((run, i) => {
    const sum = summaryAt(run, key);
    if (sum !== null) {
      const st = sum.stats;
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
    const firstOnly = by === "first";
    const stats = await scanPathStatsMany(
      pending.map((i) => runs[i].file),
      key,
      options,
      firstOnly,
    );
    pending.forEach((i, k) => {
      const st = stats[k];
      out[i] = st === null ? { value: null, count: 0, source: "scan" } : {
        value: reduceStats(st, by),
        count: firstOnly ? null : st.count,
        source: "scan",
      };
    });
  }
  return out as Reduced[];
}

/**
 * Statistics of one numeric path in one run: run_end's summary when it has
 * the path (or is complete), else a streaming scan.
 *
 * @param run The run.
 * @param path A track value path.
 * @param options Problem handling.
 * @returns The statistics, or `null` when the run has no numeric value there.
 */
export function runPathStats(
  run: RunInfo,
  path: string,
  options: ReadOptions = {},
): PathStats | null {
  const key = trackPathKey(path);
  const sum = summaryAt(run, key);
  if (sum !== null) {
    if (sum.stats !== undefined) return sum.stats;
    if (!sum.truncated) return null;
  }
  return scanPathStats(run.file, key, options);
}

/**
 * Statistics of every numeric path of a run: run_end's summary when
 * present and complete, else a streaming scan of the track records (line
 * templates where they match; every line parsed and validated when strict
 * or when the scan finds a line it does not accept).
 *
 * @param run The run.
 * @param options Problem handling.
 * @returns The run, its path statistics and where they came from.
 */
export function statsOfRun(run: RunInfo, options: ReadOptions = {}): RunStats {
  const sum = summaryOf(run);
  if (sum !== null && !sum.truncated) {
    return { run, paths: sum.paths, source: "summary", truncated: false };
  }
  if (!options.strict) {
    const r = scanAllPaths(run.file);
    if (r.status === "ok") {
      return { run, paths: r.paths, source: "scan", truncated: r.truncated };
    }
  }
  const b = new SummaryBuilder();
  for (const { record } of iterFileRecords(run.file, dedupeProblems(options))) {
    if (record.kind !== "track") continue;
    b.add(
      record.value,
      typeof record.elapsed_ms === "number" ? record.elapsed_ms : 0,
    );
  }
  return { run, paths: b.toJSON(), source: "scan", truncated: b.truncated };
}
