/**
 * Runs that recorded NaN: a loss that became NaN means the run diverged,
 * even when its status is `finished`. Read from run_end's summary (runs
 * without one are not checked: that needs a scan of every path).
 *
 * @module
 */

import type { RunInfo } from "./types.ts";

/**
 * The numeric paths at which a run recorded NaN, per its run_end summary.
 *
 * @param run A listed run.
 * @returns The paths, sorted (empty when none, or when the run has no summary).
 * @example
 * ```ts
 * import { nanPaths } from "./diverged.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 * const run = { end: { status: "finished", summary: { "value.loss": { nan: 2 } } } };
 * deepStrictEqual(nanPaths(run as never), ["value.loss"]);
 * ```
 */
export function nanPaths(run: RunInfo): string[] {
  const summary = run.end?.summary;
  if (summary === undefined || summary === null) return [];
  const out: string[] = [];
  for (const [path, stats] of Object.entries(summary)) {
    if (typeof stats?.nan === "number" && stats.nan > 0) out.push(path);
  }
  return out.sort();
}
