/**
 * The curves of numeric paths, as `show`, `compare` and `tail` print them:
 * each path's series from a scan of the run's file (`src/query/series.ts`),
 * drawn as a sparkline (`sparkline.ts`).
 *
 * @module
 */

import type { RunInfo } from "../query/mod.ts";
import { pathsSeries, SEPARATE_SCANS_MAX } from "../query/series.ts";
import { toRecorded } from "../summary.ts";
import { catalog } from "./common.ts";
import type { Context } from "./context.ts";
import { stderrLine } from "./format.ts";
import { sparkline } from "./sparkline.ts";

/**
 * The most file bytes one invocation scans to draw curves: each curve is a
 * scan of the run's file, so `show` of a run with 200 paths would otherwise
 * read a large file 200 times. Past it, curves are left empty with one note.
 */
export const MAX_CURVE_BYTES = 256 * 1024 * 1024;

const scanned = new WeakMap<Context, { bytes: number; noted: boolean }>();

/**
 * The series of paths of a run, or null when drawing them would pass the
 * invocation's budget of {@linkcode MAX_CURVE_BYTES} (one note, once).
 */
function budgetedSeries(
  ctx: Context,
  run: RunInfo,
  paths: readonly string[],
): Map<string, number[]> | null {
  let used = scanned.get(ctx);
  if (used === undefined) scanned.set(ctx, used = { bytes: 0, noted: false });
  let size = 0;
  try {
    size = Deno.statSync(run.file).size;
  } catch {
    size = 0; // the scan reports what is wrong with the file
  }
  // a few paths are a scan each, more share one pass (pathsSeries)
  const bytes = size * Math.min(paths.length, SEPARATE_SCANS_MAX);
  if (used.bytes + bytes > MAX_CURVE_BYTES) {
    if (!used.noted) {
      used.noted = true;
      stderrLine(
        `exprag: note: some curves left empty (drawing them would read more than ${
          MAX_CURVE_BYTES / 1024 / 1024
        } MiB); exprag values PATH --run ${run.id} reads any path`,
      );
    }
    return null;
  }
  used.bytes += bytes;
  return pathsSeries(run, paths, catalog(ctx).options);
}

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
 * The sparklines of paths of a run, read in one go (see `pathsSeries`).
 *
 * @param ctx The invocation (its reading options and curve budget).
 * @param run The run.
 * @param paths Numeric track value paths.
 * @returns Path → sparkline (`""` when the run has no number there, or the
 *   budget is spent).
 */
export function pathCurves(
  ctx: Context,
  run: RunInfo,
  paths: readonly string[],
): Map<string, string> {
  const series = budgetedSeries(ctx, run, paths);
  return new Map(paths.map((p) => [p, sparkline(series?.get(p) ?? [])]));
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
  const all = budgetedSeries(ctx, run, paths);
  for (const path of paths) {
    const series = all?.get(path) ?? [];
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
