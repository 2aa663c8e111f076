/**
 * Per-path statistics of the numeric leaves of track values. The tracker
 * keeps them incrementally and writes them into `run_end`; the reader
 * computes the very same statistics by scanning runs that have no `run_end`.
 *
 * Paths are written with `src/value_path.ts` ({@linkcode childPath},
 * {@linkcode listPath}): `{"val.acc": 1}` is summarised at `value."val.acc"`,
 * apart from `{val: {acc: 1}}` at `value.val.acc`.
 *
 * @module
 */
import { childPath, listPath } from "./value_path.ts";

/**
 * A number as recorded: finite numbers as is, NaN and infinities as strings.
 *
 * @example NaN is recorded as a string and never wins a ranking
 * ```ts
 * import { bestRuns, Experiment, type RecordedNumber } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("diverged", { dir, git: false });
 *   exp.track({ loss: NaN });
 * }
 * const value: RecordedNumber = (await bestRuns("value.loss", { dir })).rows[0].value;
 * equal(value, "NaN");
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export type RecordedNumber = number | "NaN" | "Infinity" | "-Infinity";

/**
 * Statistics of one numeric path within one run.
 *
 * @example A finished run's statistics, from its run_end summary
 * ```ts
 * import { Experiment, type PathStats, resolveRun } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("train", { dir, git: false });
 *   for (const loss of [0.9, 0.4, 0.6]) exp.track({ metrics: { loss } });
 * }
 * const run = await resolveRun("latest", { dir });
 * const loss: PathStats = run.end!.summary!["value.metrics.loss"];
 * equal(loss.count, 3);
 * equal(loss.min, 0.4);
 * equal(loss.last, 0.6);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface PathStats {
  /** How many numeric values were seen, including NaN and infinities. */
  count: number;
  /** The first value, in recorded form. */
  first: RecordedNumber;
  /** The last value, in recorded form. */
  last: RecordedNumber;
  /** The smallest non-NaN value, or `null` when every value was NaN. */
  min: RecordedNumber | null;
  /** The largest non-NaN value, or `null` when every value was NaN. */
  max: RecordedNumber | null;
  /** The sum of the non-NaN values. */
  sum: RecordedNumber;
  /** How many values were NaN. */
  nan: number;
  /** `elapsed_ms` of the record holding the first value. */
  first_ms: number;
  /** `elapsed_ms` of the record holding the last value. */
  last_ms: number;
}

/** The most distinct paths a summary keeps; later new paths are dropped. */
export const MAX_SUMMARY_PATHS = 1024;

/** Most child paths a builder caches (dynamic keys must not grow memory). */
const MAX_CACHED_PATHS = 4096;

/**
 * Converts a recorded number back to a JavaScript number.
 *
 * @param value A recorded leaf.
 * @returns The number, or `undefined` when the leaf is not numeric.
 */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return undefined;
}

/**
 * Converts a number to its recorded form (NaN and infinities as strings).
 *
 * @param value Any number.
 * @returns The number itself when finite, else its string form.
 */
export function toRecorded(value: number): RecordedNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "Infinity" : "-Infinity";
}

/**
 * One path's running statistics, as numbers (see {@linkcode PathStats} for
 * the recorded form). The scanner's workers keep the same accumulators
 * (they include {@linkcode newStatsAcc} and {@linkcode addToStats} by their
 * text), so a scanned run's statistics are the builder's by construction.
 */
export interface StatsAcc {
  /** Values seen, NaN included. */
  count: number;
  /** The first value. */
  first: number;
  /** The last value. */
  last: number;
  /** The smallest non-NaN value (Infinity while none). */
  min: number;
  /** The largest non-NaN value (-Infinity while none). */
  max: number;
  /** The sum of the non-NaN values. */
  sum: number;
  /** NaN values seen. */
  nan: number;
  /** `elapsed_ms` of the first value's record. */
  firstMs: number;
  /** `elapsed_ms` of the last value's record. */
  lastMs: number;
}

/**
 * The statistics of a path whose first value is `n` (before
 * {@linkcode addToStats} adds it).
 *
 * @param n The first value.
 * @param elapsedMs Its record's `elapsed_ms`.
 * @returns An accumulator that has counted nothing yet.
 */
export function newStatsAcc(n: number, elapsedMs: number): StatsAcc {
  return {
    count: 0,
    first: n,
    last: n,
    min: Infinity,
    max: -Infinity,
    sum: 0,
    nan: 0,
    firstMs: elapsedMs,
    lastMs: elapsedMs,
  };
}

/**
 * Adds one value to a path's statistics.
 *
 * @param acc The statistics.
 * @param n The value.
 * @param elapsedMs Its record's `elapsed_ms`.
 */
export function addToStats(acc: StatsAcc, n: number, elapsedMs: number): void {
  acc.count++;
  acc.last = n;
  acc.lastMs = elapsedMs;
  if (n !== n) {
    acc.nan++;
    return;
  }
  if (n < acc.min) acc.min = n;
  if (n > acc.max) acc.max = n;
  acc.sum += n;
}

/**
 * The recorded form of a path's statistics.
 *
 * @param a The statistics.
 * @returns What `run_end`'s summary holds for the path.
 */
export function recordedStats(a: StatsAcc): PathStats {
  const none = a.nan === a.count;
  return {
    count: a.count,
    first: toRecorded(a.first),
    last: toRecorded(a.last),
    min: none ? null : toRecorded(a.min),
    max: none ? null : toRecorded(a.max),
    sum: toRecorded(a.sum),
    nan: a.nan,
    first_ms: a.firstMs,
    last_ms: a.lastMs,
  };
}

/**
 * Accumulates {@linkcode PathStats} for every numeric leaf path of the
 * values added to it.
 *
 * @example
 * ```ts
 * import { SummaryBuilder } from "./summary.ts";
 * const s = new SummaryBuilder();
 * s.add({ metrics: { acc: 0.5 } }, 10);
 * s.add({ metrics: { acc: 0.7 } }, 20);
 * s.toJSON()["value.metrics.acc"].max; // 0.7
 * ```
 */
export class SummaryBuilder {
  #paths = new Map<string, StatsAcc>();
  #truncated = false;
  /** Child paths already written: parent path → key → child path. */
  #children = new Map<string, Map<string, string>>();
  #cached = 0;
  /** `addLeaves`' inline cache: the path and statistics last at each position. */
  #lastPaths: string[] = [];
  #lastAccs: StatsAcc[] = [];

  /** Whether some paths were dropped because of {@linkcode MAX_SUMMARY_PATHS}. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /**
   * Adds the numeric leaves of one track value (already in recorded form).
   *
   * @param value The encoded track value.
   * @param elapsedMs The record's `elapsed_ms`.
   */
  add(value: unknown, elapsedMs: number): void {
    this.#visit(value, "value", elapsedMs);
  }

  /**
   * Adds one numeric value at a path.
   *
   * @param path The full path, e.g. `value.metrics.acc`.
   * @param n The value as a JavaScript number.
   * @param elapsedMs The record's `elapsed_ms`.
   */
  addNumber(path: string, n: number, elapsedMs: number): void {
    const acc = this.#acc(path, n, elapsedMs);
    if (acc !== undefined) addToStats(acc, n, elapsedMs);
  }

  /**
   * Adds the numeric leaves of one record at once, e.g. those an encoder
   * collected: `addNumber(paths[i], values[i], elapsedMs)` for each `i`
   * below `count`. Records of one shape list the same paths in the same
   * order, so each position remembers its path's statistics and skips the
   * lookup while the path there stays the same.
   *
   * @param paths The leaves' paths.
   * @param values The leaves' values, as JavaScript numbers.
   * @param count How many leaves (the arrays may be longer).
   * @param elapsedMs The record's `elapsed_ms`.
   */
  addLeaves(
    paths: readonly string[],
    values: readonly number[],
    count: number,
    elapsedMs: number,
  ): void {
    const lastPaths = this.#lastPaths;
    const lastAccs = this.#lastAccs;
    for (let i = 0; i < count; i++) {
      const path = paths[i];
      let acc: StatsAcc | undefined;
      if (lastPaths[i] === path) acc = lastAccs[i];
      else {
        acc = this.#acc(path, values[i], elapsedMs);
        if (acc === undefined) continue;
        if (i <= lastPaths.length && i < MAX_CACHED_PATHS) {
          lastPaths[i] = path;
          lastAccs[i] = acc;
        }
      }
      addToStats(acc, values[i], elapsedMs);
    }
  }

  /** The statistics of `path`, created for a first value `n`; none when full. */
  #acc(path: string, n: number, elapsedMs: number): StatsAcc | undefined {
    let acc = this.#paths.get(path);
    if (acc === undefined) {
      if (this.#paths.size >= MAX_SUMMARY_PATHS) {
        this.#truncated = true;
        return undefined;
      }
      acc = newStatsAcc(n, elapsedMs);
      this.#paths.set(path, acc);
    }
    return acc;
  }

  #visit(value: unknown, path: string, ms: number): void {
    if (typeof value === "number") {
      this.addNumber(path, value, ms);
    } else if (typeof value === "string") {
      const n = toNumber(value);
      if (n !== undefined) this.addNumber(path, n, ms);
    } else if (Array.isArray(value)) {
      const p = listPath(path);
      for (let i = 0; i < value.length; i++) this.#visit(value[i], p, ms);
    } else if (value !== null && typeof value === "object") {
      let children = this.#children.get(path);
      if (children === undefined) {
        children = new Map();
        if (this.#cached < MAX_CACHED_PATHS) this.#children.set(path, children);
      }
      for (const key in value) {
        if (Object.hasOwn(value, key)) {
          let p = children.get(key);
          if (p === undefined) {
            p = childPath(path, key);
            if (this.#cached < MAX_CACHED_PATHS) {
              children.set(key, p);
              this.#cached++;
            }
          }
          this.#visit((value as Record<string, unknown>)[key], p, ms);
        }
      }
    }
  }

  /**
   * The statistics of every path, in recorded form.
   *
   * @returns A map from path to {@linkcode PathStats}.
   */
  toJSON(): Record<string, PathStats> {
    const out: Record<string, PathStats> = {};
    for (const [path, a] of this.#paths) {
      Object.defineProperty(out, path, {
        value: recordedStats(a),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
}
