/**
 * The value paths of the tracked values and the values at a path, streamed
 * from the records of the runs a question is about.
 *
 * @module
 */

import { toNumber } from "../summary.ts";
import { childPath, listPath } from "../value_path.ts";
import { catalogOf, type InCatalog } from "./catalog.ts";
import { segmentsOf, valuesAtSegments } from "./get_path.ts";
import { readRecords } from "./reader.ts";
import { checkRunRef } from "./refs.ts";
import { UsageError } from "../errors.ts";
import type {
  DiscoverOptions,
  PathInfo,
  ReadOptions,
  RunFilter,
  ValueRow,
  ValuesOptions,
} from "./types.ts";

/**
 * The runs a question is about (`run`, else the filters), checked first.
 *
 * @param options A run reference or the filters, or a `catalog` to reuse.
 * @returns Their files (start order), names by file and the reading options.
 */
export async function selectRuns(
  options: RunFilter & InCatalog & { run?: string },
) {
  if (options.run !== undefined) checkRunRef(options.run);
  const catalog = catalogOf(options, false);
  // the filter checked before any read; records not counted (not needed)
  const runs = await catalog.select(options, false);
  const names = new Map<string, string | null>();
  for (const r of runs) names.set(r.file, r.name);
  return {
    files: runs.map((r) => r.file),
    names,
    read: catalog.options as ReadOptions,
  };
}

/** The JSON type of a value; `"NaN"`, `"Infinity"`, `"-Infinity"` are numbers. */
/**
 * The fields of a value row that come from its record, as recorded when of
 * the right type, else `null` (the run id as a string).
 *
 * @param record A record.
 * @returns Its run id, time, elapsed ms and note.
 */
export function recordHead(record: Record<string, unknown>): {
  run_id: string;
  created_at: string | null;
  elapsed_ms: number | null;
  note: string | null;
} {
  return {
    run_id: String(record.run_id ?? ""),
    created_at: typeof record.created_at === "string"
      ? record.created_at
      : null,
    elapsed_ms: typeof record.elapsed_ms === "number"
      ? record.elapsed_ms
      : null,
    note: typeof record.note === "string" ? record.note : null,
  };
}

/**
 * Checks a row limit.
 *
 * @param limit The limit (default: none).
 * @returns The limit, `Infinity` for none.
 * @throws {UsageError} When it is not a non-negative number.
 */
export function checkLimit(limit: number | undefined): number {
  const n = limit ?? Infinity;
  if (!(n >= 0)) {
    throw new UsageError(
      `Invalid limit ${JSON.stringify(limit)}: expected a non-negative integer`,
    );
  }
  return n;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "string" && toNumber(v) !== undefined) return "number";
  return typeof v;
}

/**
 * Discovers the leaf paths of the records' values, with counts, JSON types,
 * examples and a numeric flag (as Python exprag's `discover_value_paths`:
 * lists as `[]`, empty objects and lists are leaves; the `"NaN"`,
 * `"Infinity"`, `"-Infinity"` strings count as numbers, in `numeric` and
 * in `types`). Sorted by count
 * (descending), then path. Streams the records.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Run (reference) or filters, `contains`, `numeric`, `kinds`,
 *   `maxExamples`, `limit`, or a `catalog` to reuse.
 * @returns The paths.
 *
 * @example The numeric paths about accuracy
 * ```ts
 * import { discoverPaths } from "./select.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { deepEqual } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * {
 *   using exp = new Experiment("t", { dir, git: false });
 *   exp.track({ metrics: { acc: 0.5, loss: 1 }, tag: "acc" });
 * }
 * const paths = await discoverPaths({ dir, contains: "acc", numeric: true });
 * deepEqual(paths.map((p) => p.path), ["value.metrics.acc"]);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function discoverPaths(
  options: DiscoverOptions & InCatalog = {},
): Promise<PathInfo[]> {
  const maxExamples = options.maxExamples ?? 3;
  const kinds = options.kinds === undefined ? ["track"] : options.kinds;
  const { files, read } = await selectRuns(options);
  interface Acc extends PathInfo {
    typeSet: Set<string>;
    exampleKeys: Set<string>;
    lastRun: string | undefined;
  }
  const found = new Map<string, Acc>();
  let runKey = "";
  const add = (path: string, v: unknown) => {
    let acc = found.get(path);
    if (acc === undefined) {
      acc = {
        path,
        count: 0,
        runs: 0,
        types: [],
        examples: [],
        numeric: true,
        typeSet: new Set(),
        exampleKeys: new Set(),
        lastRun: undefined,
      };
      found.set(path, acc);
    }
    acc.count++;
    if (acc.lastRun !== runKey) {
      acc.lastRun = runKey;
      acc.runs++;
    }
    acc.typeSet.add(jsonType(v));
    if (typeof v !== "number" && toNumber(v) === undefined) acc.numeric = false;
    if (acc.examples.length < maxExamples) {
      const key = JSON.stringify(v);
      if (!acc.exampleKeys.has(key)) {
        acc.exampleKeys.add(key);
        acc.examples.push(v);
      }
    }
  };
  const visit = (v: unknown, path: string) => {
    if (Array.isArray(v)) {
      if (v.length === 0) return add(path, v);
      for (const item of v) visit(item, listPath(path));
    } else if (v !== null && typeof v === "object") {
      let empty = true;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        empty = false;
        visit((v as Record<string, unknown>)[key], childPath(path, key));
      }
      if (empty) add(path, v);
    } else add(path, v);
  };
  for await (
    const { record, file } of readRecords({ ...read, files, kinds })
  ) {
    runKey = file;
    if ("value" in record) visit(record.value, "value");
  }
  let out: PathInfo[] = [...found.values()].map((a) => ({
    path: a.path,
    count: a.count,
    runs: a.runs,
    types: [...a.typeSet].sort(),
    examples: a.examples,
    numeric: a.numeric,
  }));
  if (options.contains !== undefined) {
    const needle = options.contains.toLowerCase();
    out = out.filter((p) => p.path.toLowerCase().includes(needle));
  }
  if (options.numeric !== undefined) {
    out = out.filter((p) => p.numeric === options.numeric);
  }
  out.sort((a, b) =>
    b.count - a.count || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
  if (options.limit !== undefined) out = out.slice(0, options.limit);
  return out;
}

/**
 * The values at a path (relative to the record: `value.metrics.acc`,
 * `note`, ...), one row per value (each `[]` match is a row), with run,
 * time, elapsed and source `file:line`. Runs in start order, lines in file
 * order. Streams the records.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param path The path, e.g. `value.metrics.loss` or `value.history.[].loss`.
 * @param options Run (reference) or filters, `limit`, `kinds`, or a
 *   `catalog` to reuse.
 * @returns The rows.
 * @throws {UsageError} (a `RangeError`) For an empty or malformed path, a
 *   bad limit or filter.
 * @throws {RunRefError} (a `NotFoundError`) For an unknown run reference.
 *
 * @example Values of the latest run
 * ```ts
 * import { selectValues } from "./select.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * equal((await selectValues("value.metrics.loss", { dir, limit: 100 })).length, 0);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export async function selectValues(
  path: string,
  options: ValuesOptions & InCatalog = {},
): Promise<ValueRow[]> {
  const parts = segmentsOf(path);
  const limit = checkLimit(options.limit);
  const kinds = options.kinds === undefined ? ["track"] : options.kinds;
  const rows: ValueRow[] = [];
  if (limit === 0) return rows;
  const { files, names, read } = await selectRuns(options);
  for await (
    const { record, file, line } of readRecords({ ...read, files, kinds })
  ) {
    const values = valuesAtSegments(record, parts);
    for (const value of values) {
      const head = recordHead(record);
      rows.push({
        run_id: head.run_id,
        name: typeof record.experiment_name === "string"
          ? record.experiment_name
          : names.get(file) ?? null,
        created_at: head.created_at,
        elapsed_ms: head.elapsed_ms,
        value,
        note: head.note,
        file,
        line,
      });
      if (rows.length >= limit) return rows;
    }
  }
  return rows;
}
