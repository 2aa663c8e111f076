/**
 * Best runs for a numeric path: per-run reduced values (run_end summaries
 * when present, streaming scans otherwise), ranked; NaN never wins.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { toNumber } from "../summary.ts";
import { catalogOf, type InCatalog } from "./catalog.ts";
import { trackPathKey } from "./get_path.ts";
import { checkReducer } from "./reduce.ts";
import { reducedValues } from "./run_stats.ts";
import type { BestOptions, BestResult, BestRow } from "./types.ts";

/**
 * Ranks runs by a numeric track value path. Each run is reduced to one
 * number with `by` (`last` by default, as MLflow and W&B summarize; also
 * `first`, `max`, `min`, `mean`): from run_end's summary when present
 * (O(1) bytes per run), else by streaming the file (for `last`, backwards
 * from the end). `"NaN"`/`"Infinity"`/`"-Infinity"` count as numbers; NaN
 * ranks after every number (it never wins) but is shown. Ties keep start
 * order (older first).
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param path A track value path, e.g. `value.metrics.acc`.
 * @param options `direction` (`max` default), `by`, `top` (default 1),
 *   filters (`since`, `until`, `where`), directory and problem handling,
 *   or a `catalog` to reuse.
 * @returns The ranked rows and how many runs were considered / missing the path.
 * @throws {UsageError} (a `RangeError`) For an invalid path, reducer,
 *   direction, top or filter.
 *
 * @example The package's bestRuns, plus a catalogue to reuse
 * ```ts
 * import { bestRuns } from "./best.ts";
 * import { RunCatalog } from "./catalog.ts";
 * import { equal } from "node:assert/strict";
 *
 * const catalog = new RunCatalog({ dir: Deno.makeTempDirSync() });
 * const best = await bestRuns("value.metrics.acc", { catalog, top: 3 });
 * equal(best.considered, 0);
 * Deno.removeSync(catalog.options.dir!, { recursive: true });
 * ```
 */
export async function bestRuns(
  path: string,
  options: BestOptions & InCatalog = {},
): Promise<BestResult> {
  const key = trackPathKey(path);
  const by = checkReducer(options.by ?? "last");
  const direction = options.direction ?? "max";
  if (direction !== "max" && direction !== "min") {
    throw new UsageError(
      `Invalid direction ${JSON.stringify(direction)}: expected max or min`,
    );
  }
  const top = options.top ?? 1;
  if (!(top === Infinity || (Number.isInteger(top) && top >= 0))) {
    throw new UsageError(
      `Invalid top ${JSON.stringify(top)}: expected a non-negative integer`,
    );
  }
  const catalog = catalogOf(options, false);
  const runs = await catalog.filter(options); // checked before anything is read
  const scored: Omit<BestRow, "rank">[] = [];
  let missing = 0;
  const reduced = await reducedValues(runs, key, by, catalog.options);
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i];
    const r = reduced[i];
    if (r.value === null) {
      missing++;
      continue;
    }
    scored.push({ run, value: r.value, count: r.count, source: r.source });
  }
  const sign = direction === "max" ? -1 : 1;
  const indexed = scored.map((s, i) => ({ s, i, n: toNumber(s.value) ?? NaN }));
  indexed.sort((a, b) => {
    const an = Number.isNaN(a.n), bn = Number.isNaN(b.n);
    if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1;
    if (a.n === b.n) return a.i - b.i;
    return sign * (a.n < b.n ? -1 : 1);
  });
  const rows = indexed.slice(0, top).map((x, k) => ({ rank: k + 1, ...x.s }));
  return { path: key, direction, by, rows, considered: runs.length, missing };
}
