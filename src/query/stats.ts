/**
 * Statistics of a run's numeric paths, for a run or a run reference: from
 * run_end's summary when present, else by streaming the run file with the
 * same `SummaryBuilder` the tracker uses.
 *
 * @module
 */

import type { PathStats } from "../summary.ts";
import { catalogOf, type InCatalog, promised } from "./catalog.ts";
import { trackPathKey } from "./get_path.ts";
import { dedupeProblems } from "./problems.ts";
import { runPathStats, statsOfRun } from "./run_stats.ts";
import type { ReadOptions, RunInfo, RunStats } from "./types.ts";

/** The run and the reading options (shared with its catalogue's listing). */
function runOf(
  run: RunInfo | string,
  options: ReadOptions & InCatalog,
): [RunInfo, ReadOptions] {
  const read = options.catalog?.options ?? dedupeProblems(options);
  if (typeof run !== "string") return [run, read];
  return [
    catalogOf({ ...read, catalog: options.catalog }, false).resolve(run),
    read,
  ];
}

/**
 * Statistics of one numeric path in one run (run_end's summary when
 * available, else a streaming scan with the tracker's `SummaryBuilder`).
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run The run (from `listRuns`) or a run reference.
 * @param path A track value path, e.g. `value.metrics.acc`.
 * @param options Directory and problem handling, or a `catalog` to reuse.
 * @returns The statistics, or `null` when the run has no numeric value there.
 * @example
 * ```ts ignore
 * import { pathStats } from "./stats.ts";
 * const s = await pathStats("latest", "value.metrics.loss");
 * console.log(s?.min, s?.last);
 * ```
 */
export function pathStats(
  run: RunInfo | string,
  path: string,
  options: ReadOptions & InCatalog = {},
): Promise<PathStats | null> {
  return promised(() => {
    const key = trackPathKey(path);
    const [r, read] = runOf(run, options);
    return runPathStats(r, key, read);
  });
}

/**
 * Statistics of every numeric path of a run: run_end's summary when present
 * and complete, else a streaming scan of the track records with the same
 * `SummaryBuilder` the tracker uses.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param run The run (from `listRuns`) or a run reference.
 * @param options Directory and problem handling, or a `catalog` to reuse.
 * @returns The run, its path statistics and where they came from.
 * @example
 * ```ts ignore
 * import { runStats } from "./stats.ts";
 * const { paths, source } = await runStats("latest");
 * ```
 */
export function runStats(
  run: RunInfo | string,
  options: ReadOptions & InCatalog = {},
): Promise<RunStats> {
  return promised(() => {
    const [r, read] = runOf(run, options);
    return statsOfRun(r, read);
  });
}
