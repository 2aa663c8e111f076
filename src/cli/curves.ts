/**
 * The curves of numeric paths, as `show`, `compare` and `tail` print them:
 * each path's series from a scan of the run's file (`src/query/series.ts`),
 * drawn as a sparkline (`sparkline.ts`).
 *
 * @module
 */

import type { RunInfo } from "../query/mod.ts";
import { pathSeries } from "../query/series.ts";
import { toRecorded } from "../summary.ts";
import { catalog } from "./common.ts";
import type { Context } from "./context.ts";
import { sparkline } from "./sparkline.ts";

/** A numeric path's curve with the figures `tail` prints beside it. */
export interface Curve {
  /** The path. */
  path: string;
  /** How many numbers it holds. */
  count: number;
  /** The last, in recorded form. */
  last: unknown;
  /** The smallest non-NaN value (null when all are NaN). */
  min: unknown;
  /** The largest non-NaN value (null when all are NaN). */
  max: unknown;
  /** The sparkline. */
  curve: string;
}

/**
 * The sparkline of one path of a run.
 *
 * @param ctx The invocation (its reading options).
 * @param run The run.
 * @param path A numeric track value path.
 * @returns The sparkline (`""` when the run has no number there).
 */
export function pathCurve(ctx: Context, run: RunInfo, path: string): string {
  return sparkline(pathSeries(run, path, catalog(ctx).options));
}

/**
 * The curves of the numeric paths among `paths`, with count, last, min and
 * max; paths without numbers are left out.
 *
 * @param ctx The invocation.
 * @param run The run.
 * @param paths Track value paths.
 * @returns One curve per numeric path, in the order given.
 */
export function curves(
  ctx: Context,
  run: RunInfo,
  paths: readonly string[],
): Curve[] {
  const out: Curve[] = [];
  for (const path of paths) {
    const series = pathSeries(run, path, catalog(ctx).options);
    if (series.length === 0) continue;
    let min = Infinity, max = -Infinity;
    for (const v of series) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const any = min <= max; // some value is not NaN
    out.push({
      path,
      count: series.length,
      last: toRecorded(series[series.length - 1]),
      min: any ? toRecorded(min) : null,
      max: any ? toRecorded(max) : null,
      curve: sparkline(series),
    });
  }
  return out;
}
