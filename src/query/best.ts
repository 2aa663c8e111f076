/**
 * Best runs for a numeric path: per-run reduced values (run_end summaries
 * when present, streaming scans otherwise), ranked; NaN never wins.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { toNumber } from "../summary.ts";
import { catalogOf, type InCatalog, type RunCatalog } from "./catalog.ts";
import { hasRunEnd } from "./lazy_run.ts";
import { trackPathKey } from "./get_path.ts";
import { checkReducer } from "./reduce.ts";
import { reducedValues, scanPathStats } from "./run_stats.ts";
import { prestartScan, releaseScan } from "./scanner.ts";
import type {
  BestOptions,
  BestResult,
  BestRow,
  Reducer,
  RunInfo,
} from "./types.ts";

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
 *   `status` (`any` default; `auto`: only the finished runs when any
 *   finished; or a list of states), filters (`since`, `until`, `where`),
 *   directory and problem handling, or a `catalog` to reuse.
 * @returns The ranked rows and how many runs were considered / missing the path /
 *   left out by status.
 * @throws {UsageError} (a `RangeError`) For an invalid path, reducer,
 *   direction, top, status or filter.
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
  const top = options.top ?? 1;
  if (!(top === Infinity || (Number.isInteger(top) && top >= 0))) {
    throw new UsageError(
      `Invalid top ${JSON.stringify(top)}: expected a non-negative integer`,
    );
  }
  const all = await rankRuns(path, options);
  const rows = all.rows.slice(0, top);
  // ranking read runs without run_end backwards (the last value only); the
  // rows shown get their count from a forward scan of their file alone
  const read = catalogOf(options, false).options;
  for (const row of rows) {
    if (row.count !== null) continue;
    row.count = scanPathStats(row.run.file, all.path, read)?.count ?? 0;
  }
  return { ...all, rows };
}

/**
 * Which runs are ranked under a status choice: `any` keeps all, a list of
 * states keeps those, `auto` keeps the finished runs when any finished,
 * else every run.
 */
function selectStatus(
  runs: readonly RunInfo[],
  status: BestOptions["status"],
): { kept: RunInfo[]; left_out: Record<string, number>; ended: number } {
  const ended = runs.filter(hasRunEnd).length; // their run_end not read
  let keep: (state: string) => boolean = () => true;
  if (Array.isArray(status)) keep = (s) => status.includes(s);
  else if (status === "auto" && runs.some((r) => r.status === "finished")) {
    keep = (s) => s === "finished";
  } else if (status !== undefined && status !== "auto" && status !== "any") {
    throw new UsageError(
      `Invalid status ${
        JSON.stringify(status)
      }: expected auto, any or a list of states`,
    );
  }
  const kept: RunInfo[] = [];
  const left_out: Record<string, number> = {};
  for (const r of runs) {
    if (keep(r.status)) kept.push(r);
    else left_out[r.status] = (left_out[r.status] ?? 0) + 1;
  }
  return { kept, left_out, ended };
}

/**
 * Every run with a numeric value at the path, ranked (see
 * {@linkcode bestRuns}, which keeps the top rows).
 *
 * @param path A track value path.
 * @param options As for {@linkcode bestRuns} (`top` is ignored).
 * @returns Every ranked row and the counts.
 * @throws {UsageError} For an invalid path, reducer, direction, status or filter.
 */
export async function rankRuns(
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
  const catalog = catalogOf(options, false);
  if (by !== "last" && by !== "first" && !catalog.options.strict) {
    // a full scan may follow: its workers start while the runs are listed
    await prestartScan(catalog.options.dir, key);
  }
  try {
    return await rankListed(key, by, direction, catalog, options);
  } finally {
    releaseScan();
  }
}

async function rankListed(
  key: string,
  by: Reducer,
  direction: "max" | "min",
  catalog: RunCatalog,
  options: BestOptions,
): Promise<BestResult> {
  const filtered = await catalog.filter(options); // checked before anything is read
  const { kept: runs, left_out, ended } = selectStatus(
    filtered,
    options.status ?? "any",
  );
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
  const rows = indexed.map((x, k) => ({ rank: k + 1, ...x.s }));
  return {
    path: key,
    direction,
    by,
    rows,
    considered: runs.length,
    missing,
    left_out,
    ended,
    finished: runs.filter((r) => r.status === "finished").length,
  };
}
