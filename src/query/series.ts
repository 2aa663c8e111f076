/**
 * The series of one numeric path in one run: every number at the path, in
 * file order (NaN and infinities as JavaScript numbers), for curves. The
 * same scans as the statistics (`run_stats.ts`): the fast scanner, or every
 * line parsed when strict or when the scanner gives up.
 *
 * @module
 */

import { trackPathKey } from "./get_path.ts";
import { dedupeProblems } from "./problems.ts";
import { iterFileRecords } from "./reader.ts";
import { localScanner } from "./scanner.ts";
import type { LeafSink } from "./scanner/leaf_stats.ts";
import { walkLeaves } from "./scanner/walker.ts";
import { parsePath } from "../value_path.ts";
import type { ReadOptions, RunInfo } from "./types.ts";

/**
 * Every number at a track value path of a run, in file order.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run The run (its file is read), or a run file.
 * @param path A track value path, e.g. `value.metrics.loss`.
 * @param options Problem handling.
 * @returns The numbers (empty when the run has none there).
 * @example
 * ```ts ignore
 * import { pathSeries } from "./series.ts";
 * const losses = pathSeries(run, "value.metrics.loss");
 * ```
 */
export function pathSeries(
  run: RunInfo | string,
  path: string,
  options: ReadOptions = {},
): number[] {
  const file = typeof run === "string" ? run : run.file;
  const key = trackPathKey(path);
  const scanner = localScanner();
  if (!options.strict) {
    const r = scanner.scanFile(file, key, false);
    if (r.status === "ok") return Array.from(r.values.subarray(0, r.n));
  }
  const out: number[] = [];
  for (const { record } of iterFileRecords(file, dedupeProblems(options))) {
    if (record.kind !== "track") continue;
    for (const v of scanner.valuesOf(record, key)) out.push(v);
  }
  return out;
}

/** Up to this many paths, each is read by its own fast scan; more share one pass. */
export const SEPARATE_SCANS_MAX = 4;

/**
 * The series of several numeric paths of one run: for a few paths a fast
 * scan each ({@linkcode pathSeries}), for more one pass over the records
 * (every line parsed once), so that the cost stays one read of the file.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run The run (its file is read), or a run file.
 * @param paths Track value paths.
 * @param options Problem handling.
 * @returns Path → numbers, in file order (empty arrays for paths without numbers).
 */
export function pathsSeries(
  run: RunInfo | string,
  paths: readonly string[],
  options: ReadOptions = {},
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (paths.length <= SEPARATE_SCANS_MAX) {
    for (const p of paths) out.set(p, pathSeries(run, p, options));
    return out;
  }
  const file = typeof run === "string" ? run : run.file;
  const wanted = paths.map((p) => {
    const values: number[] = [];
    out.set(p, values);
    return {
      segs: parsePath(trackPathKey(p)).slice(1),
      sink: arraySink(values),
    };
  });
  for (const { record } of iterFileRecords(file, dedupeProblems(options))) {
    if (record.kind !== "track") continue;
    for (const w of wanted) walkLeaves(record.value, w.segs, 0, 0, w.sink);
  }
  return out;
}

/** A leaf sink over a plain array: small, for many paths at once. */
function arraySink(values: number[]): LeafSink {
  return {
    get count() {
      return values.length;
    },
    push(value: number): void {
      values.push(value);
    },
  };
}
