/**
 * Value paths: getting values at `value.a.[].b` paths, discovering the
 * paths of the tracked values, selecting the values at a path.
 *
 * @module
 */

import { toNumber } from "../summary.ts";
import { readRecords } from "./reader.ts";
import { resolveRun } from "./refs.ts";
import { listRuns } from "./runs.ts";
import type {
  DiscoverOptions,
  PathInfo,
  RunFilter,
  ValueRow,
  ValuesOptions,
} from "./types.ts";

/** Splits a dotted path into segments (empty segments dropped). @internal */
export function splitPath(path: string): string[] {
  if (typeof path !== "string") {
    throw new TypeError(
      `Invalid path ${JSON.stringify(path)}: expected a string`,
    );
  }
  const parts = path.split(".").filter((p) => p !== "");
  if (parts.length === 0) {
    throw new RangeError(
      `Invalid path ${JSON.stringify(path)}: expected e.g. value.metrics.acc`,
    );
  }
  return parts;
}

function collect(
  current: unknown,
  parts: readonly string[],
  i: number,
  out: unknown[],
): void {
  if (i === parts.length) {
    out.push(current);
    return;
  }
  if (current === null || typeof current !== "object") return;
  const part = parts[i];
  if (Array.isArray(current)) {
    if (part === "[]") {
      for (const item of current) collect(item, parts, i + 1, out);
      return;
    }
    if (!/^\d+$/.test(part)) return;
    const index = Number(part);
    if (index < current.length) collect(current[index], parts, i + 1, out);
    return;
  }
  if (Object.hasOwn(current, part)) {
    collect((current as Record<string, unknown>)[part], parts, i + 1, out);
  }
}

/**
 * All values at a dotted path, `[]` matching every list element (and
 * numeric segments indexing lists), flattened in document order.
 *
 * @param value The root (a record, a run_start value, ...).
 * @param path E.g. `value.history.[].loss` or `["value", "history", "[]", "loss"]`.
 * @returns The matching values (empty when the path is missing).
 * @example
 * ```ts
 * import { valuesAt } from "./select.ts";
 * valuesAt({ value: { h: [{ l: 1 }, { l: 2 }] } }, "value.h.[].l"); // [1, 2]
 * ```
 */
export function valuesAt(
  value: unknown,
  path: string | readonly string[],
): unknown[] {
  const parts = typeof path === "string" ? splitPath(path) : path;
  const out: unknown[] = [];
  collect(value, parts, 0, out);
  return out;
}

/**
 * Reads a nested value by dotted path, as Python exprag's `get_path`: with a
 * `[]` wildcard the result is the list of matches.
 *
 * @param value The root.
 * @param path E.g. `value.metrics.acc`, `value.history.[].loss`, `value.history.0.loss`.
 * @returns The value, or `undefined` when the path is missing.
 * @example
 * ```ts
 * import { getPath } from "./select.ts";
 * getPath({ value: { metrics: { acc: 0.9 } } }, "value.metrics.acc"); // 0.9
 * ```
 */
export function getPath(value: unknown, path: string): unknown {
  const parts = splitPath(path);
  const found = valuesAt(value, parts);
  if (parts.includes("[]")) return found.length > 0 ? found : undefined;
  return found[0];
}

/** The files of the runs selected by `run` or the filters. @internal */
export async function selectFiles(
  options: RunFilter & {
    run?: string;
    dir?: string;
    strict?: boolean;
    onProblem?: DiscoverOptions["onProblem"];
  },
): Promise<{ files: string[]; names: Map<string, string | null> }> {
  const runs = options.run !== undefined
    ? [await resolveRun(options.run, options)]
    : await listRuns({ ...options, limit: undefined });
  const names = new Map<string, string | null>();
  for (const r of runs) names.set(r.file, r.name);
  return { files: runs.map((r) => r.file), names };
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Discovers the leaf paths of the records' values, with counts, JSON types,
 * examples and a numeric flag (as Python exprag's `discover_value_paths`:
 * lists as `[]`, empty objects and lists are leaves; the `"NaN"`,
 * `"Infinity"`, `"-Infinity"` strings count as numbers). Sorted by count
 * (descending), then path. Streams the records.
 *
 * Requires `--allow-read` for the exprag directory.
 *
 * @param options Run (reference) or filters, `contains`, `numeric`, `kinds`,
 *   `maxExamples`, `limit`.
 * @returns The paths.
 * @example
 * ```ts ignore
 * import { discoverPaths } from "./select.ts";
 * const paths = await discoverPaths({ contains: "acc", numeric: true });
 * ```
 */
export async function discoverPaths(
  options: DiscoverOptions = {},
): Promise<PathInfo[]> {
  const maxExamples = options.maxExamples ?? 3;
  const kinds = options.kinds === undefined ? ["track"] : options.kinds;
  const { files } = await selectFiles(options);
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
      for (const item of v) visit(item, path + ".[]");
    } else if (v !== null && typeof v === "object") {
      let empty = true;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        empty = false;
        visit((v as Record<string, unknown>)[key], path + "." + key);
      }
      if (empty) add(path, v);
    } else add(path, v);
  };
  for await (
    const { record, file } of readRecords({ ...options, files, kinds })
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
 * @param options Run (reference) or filters, `limit`, `kinds`.
 * @returns The rows.
 * @throws {RangeError} For an empty path or an unknown run reference.
 * @example
 * ```ts ignore
 * import { selectValues } from "./select.ts";
 * const rows = await selectValues("value.metrics.loss", { run: "latest", limit: 100 });
 * for (const r of rows) console.log(`${r.file}:${r.line}`, r.elapsed_ms, r.value);
 * ```
 */
export async function selectValues(
  path: string,
  options: ValuesOptions = {},
): Promise<ValueRow[]> {
  const parts = splitPath(path);
  const limit = options.limit ?? Infinity;
  if (!(limit >= 0)) {
    throw new RangeError(
      `Invalid limit ${
        JSON.stringify(options.limit)
      }: expected a non-negative integer`,
    );
  }
  const kinds = options.kinds === undefined ? ["track"] : options.kinds;
  const rows: ValueRow[] = [];
  if (limit === 0) return rows;
  const { files, names } = await selectFiles(options);
  for await (
    const { record, file, line } of readRecords({ ...options, files, kinds })
  ) {
    const values = valuesAt(record, parts);
    for (const value of values) {
      rows.push({
        run_id: String(record.run_id ?? ""),
        name: typeof record.experiment_name === "string"
          ? record.experiment_name
          : names.get(file) ?? null,
        created_at: typeof record.created_at === "string"
          ? record.created_at
          : null,
        elapsed_ms: typeof record.elapsed_ms === "number"
          ? record.elapsed_ms
          : null,
        value,
        note: typeof record.note === "string" ? record.note : null,
        file,
        line,
      });
      if (rows.length >= limit) return rows;
    }
  }
  return rows;
}
