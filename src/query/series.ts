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
