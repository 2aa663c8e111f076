/**
 * Reducers: one number per run from a path's statistics (`last`, `first`,
 * `max`, `min`, `mean`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import {
  type PathStats,
  type RecordedNumber,
  toNumber,
  toRecorded,
} from "../summary.ts";
import type { Reducer } from "./types.ts";

/** The reducers, in the order the CLI lists them. */
export const REDUCERS: readonly Reducer[] = [
  "last",
  "first",
  "max",
  "min",
  "mean",
];

/**
 * Validates a reducer name.
 *
 * @param by The name.
 * @returns The reducer.
 * @throws {UsageError} For any other value.
 */
export function checkReducer(by: unknown): Reducer {
  if (typeof by === "string" && (REDUCERS as readonly string[]).includes(by)) {
    return by as Reducer;
  }
  throw new UsageError(
    `Invalid reducer ${
      JSON.stringify(by)
    }: expected one of last, first, max, min, mean`,
  );
}

/**
 * Reduces a path's statistics to one number.
 *
 * @param stats The statistics (from run_end's summary or a scan).
 * @param by `last`, `first`, `max`, `min` or `mean` (over non-NaN values).
 * @returns The value in recorded form (`"NaN"` when there is no non-NaN value for max/min/mean).
 * @example
 * ```ts
 * import { reduceStats } from "./reduce.ts";
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
