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
 *
 * @example Minimum and last loss of the latest run
 * ```ts
 * import { pathStats } from "./stats.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("t", { dir, git: false });
 *   for (const loss of [0.9, 0.2, 0.4]) exp.track({ metrics: { loss } });
 * }
 * const s = await pathStats("latest", "value.metrics.loss", { dir });
 * deepEqual([s?.min, s?.last], [0.2, 0.4]);
 * Deno.removeSync(dir, { recursive: true });
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
 *
 * @example Every numeric path of a run
 * ```ts
 * import { runStats } from "./stats.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { deepEqual, equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("t", { dir, git: false });
 *   exp.track({ acc: 0.5, hist: [1, 2] });
 * }
 * const { paths, source } = await runStats("latest", { dir });
 * deepEqual(Object.keys(paths), ["value.acc", "value.hist.[]"]);
 * equal(source, "summary");
 * Deno.removeSync(dir, { recursive: true });
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
