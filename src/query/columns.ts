/**
 * The values of chosen paths on runs, as table columns: run fields,
 * metadata, git, tags (one value, a list when the path names several, or
 * `null`), and `value.*` paths by their last value, as `--where` reads them.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { InCatalog } from "./catalog.ts";
import { reducedValues } from "./run_stats.ts";
import { compileClause, runValues } from "./where.ts";
import type { ReadOptions, RunInfo } from "./types.ts";

/**
 * Each run's values at the paths, in the order of the runs.
 *
 * @param runs The runs.
 * @param paths Paths as `--where` takes them, e.g. `metadata.hparams.lr`,
 *   `value.metrics.acc`, `tags.verdict`.
 * @param options Problem handling, or a `catalog` whose options to use.
 * @returns One object per run: path → value (`null` where it has none).
 * @throws {UsageError} For an invalid path.
 *
 * @example The learning rate of each run
 * ```ts
 * import { columnValues } from "./columns.ts";
 * import { equal } from "node:assert/strict";
 *
 * const rows = await columnValues([], ["metadata.lr"]);
 * equal(rows.length, 0);
 * ```
 */
export async function columnValues(
  runs: readonly RunInfo[],
  paths: readonly string[],
  options: ReadOptions & InCatalog = {},
): Promise<Record<string, unknown>[]> {
  const at = await columnReader(runs, paths, options);
  return runs.map((_, i) => at(i));
}

/**
 * {@linkcode columnValues} one run at a time: the `value.*` paths are
 * reduced for every run first (one pass over them), the other paths are
 * read from the run when its values are asked for (so a table of many runs
 * holds no object per run, and reads each run's run_start once for all its
 * paths).
 *
 * @param runs The runs.
 * @param paths Paths as `--where` takes them.
 * @param options Problem handling, or a `catalog` whose options to use.
 * @returns The values of the run at an index: path → value (`null` where
 *   it has none).
 * @throws {UsageError} For an invalid path.
 */
export async function columnReader(
  runs: readonly RunInfo[],
  paths: readonly string[],
  options: ReadOptions & InCatalog = {},
): Promise<(index: number) => Record<string, unknown>> {
  const compiled = paths.map((path) => {
    try {
      return { path, c: compileClause({ path, op: "~", value: "" }) };
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(
        `Invalid column ${JSON.stringify(path)}: ${e.message}`,
      );
    }
  });
  const read = options.catalog?.options ?? options;
  const reduced = new Map<string, unknown[]>();
  for (const { path, c } of compiled) {
    if (!c.isValue || reduced.has(path)) continue;
    const r = await reducedValues(runs, c.key, "last", read);
    reduced.set(path, r.map((x) => x.value));
  }
  return (i) => {
    const out: Record<string, unknown> = {};
    for (const { path, c } of compiled) {
      if (c.isValue) {
        out[path] = reduced.get(path)![i];
        continue;
      }
      const vs = runValues(runs[i], c.segments);
      out[path] = vs.length === 0 ? null : vs.length === 1 ? vs[0] : vs;
    }
    return out;
  };
}
