/**
 * The values of several paths, one row per record, aligned: the history of
 * `value.metrics.val_acc` and `value.metrics.val_loss` side by side.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { InCatalog } from "./catalog.ts";
import { segmentsOf, valuesAtSegments } from "./get_path.ts";
import { readRecords } from "./reader.ts";
import { checkLimit, recordHead, selectRuns } from "./select.ts";
import type { ValuesOptions } from "./types.ts";

/** One record's values at several paths. */
export interface RecordValues {
  /** The run id. */
  run_id: string;
  /** `created_at` of the record, as recorded. */
  created_at: string | null;
  /** `elapsed_ms` of the record. */
  elapsed_ms: number | null;
  /**
   * Path → the value there (recorded form), a list when a `[]` path
   * matches several, `null` when the record has none.
   */
  values: Record<string, unknown>;
  /** The record's note, if any. */
  note: string | null;
  /** Source file. */
  file: string;
  /** Source line (1-based). */
  line: number;
}

/**
 * One row per record holding a value at any of the paths, with each path's
 * value in its own field: runs in start order, lines in file order.
 * Streams the records.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param paths The paths, e.g. `value.metrics.val_acc`, `value.metrics.val_loss`.
 * @param options Run (reference) or filters, `limit`, `kinds`, or a `catalog` to reuse.
 * @returns The rows.
 * @throws {UsageError} For no path, a malformed path or a bad limit.
 *
 * @example Two metrics of no run
 * ```ts
 * import { selectRecordValues } from "./record_values.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * const rows = await selectRecordValues(["value.acc", "value.loss"], { dir });
 * equal(rows.length, 0);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function selectRecordValues(
  paths: readonly string[],
  options: ValuesOptions & InCatalog = {},
): Promise<RecordValues[]> {
  if (paths.length === 0) throw new UsageError("no path given");
  const parsed = paths.map((p) => segmentsOf(p));
  const limit = checkLimit(options.limit);
  const kinds = options.kinds === undefined ? ["track"] : options.kinds;
  const rows: RecordValues[] = [];
  if (limit === 0) return rows;
  const { files, read } = await selectRuns(options);
  for await (
    const { record, file, line } of readRecords({ ...read, files, kinds })
  ) {
    const values: Record<string, unknown> = {};
    let any = false;
    paths.forEach((p, i) => {
      const vs = valuesAtSegments(record, parsed[i]);
      if (vs.length > 0) any = true;
      values[p] = vs.length === 0 ? null : vs.length === 1 ? vs[0] : vs;
    });
    if (!any) continue;
    rows.push({ ...recordHead(record), values, file, line });
    if (rows.length >= limit) return rows;
  }
  return rows;
}
