/**
 * Values at a path, in the one path syntax of `src/value_path.ts`:
 * `value.metrics.acc`, `value.history.[].loss`, `value."val.acc"`; a bare
 * segment of digits also indexes a list.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { EVERY, formatPath, parsePath, type Segment } from "../value_path.ts";

/**
 * Splits a written path into segments, as an input check.
 *
 * @param path The written path.
 * @returns The segments.
 * @throws {UsageError} (a `RangeError`) For an empty or malformed path.
 * @throws {TypeError} When `path` is not a string.
 */
export function segmentsOf(path: string): Segment[] {
  try {
    return parsePath(path);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Validates a numeric track value path, the key of run_end summaries:
 * `value` or `value.…`, written as the summaries write it.
 *
 * @param path E.g. `value.metrics.acc`, `value."val.acc"`.
 * @returns The path in canonical written form, as recorded (`value."a\tb"`
 *   for a key `a<TAB>b`, `value.a.b` for `value..a.b`).
 * @throws {UsageError} For a path not below `value`, or a malformed one.
 * @throws {TypeError} When `path` is not a string.
 */
export function trackPathKey(path: string): string {
  if (typeof path !== "string") {
    throw new TypeError(`Invalid path ${String(path)}: expected a string`);
  }
  const segments = path === "" ? [] : segmentsOf(path);
  if (segments[0] !== "value" || (segments.length === 1 && path !== "value")) {
    throw new UsageError(
      `Invalid path ${
        JSON.stringify(path)
      }: expected a track value path like value.metrics.acc`,
    );
  }
  return formatPath(segments);
}

function collect(
  current: unknown,
  parts: readonly Segment[],
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
    if (part === EVERY) {
      for (const item of current) collect(item, parts, i + 1, out);
      return;
    }
    if (!/^\d+$/.test(part)) return;
    const index = Number(part);
    if (index < current.length) collect(current[index], parts, i + 1, out);
    return;
  }
  if (part !== EVERY && Object.hasOwn(current, part)) {
    collect((current as Record<string, unknown>)[part], parts, i + 1, out);
  }
}

/**
 * All values at a path, `[]` matching every list element (and numeric
 * segments indexing lists), flattened in document order.
 *
 * @param value The root (a record, a run_start value, ...).
 * @param path E.g. `value.history.[].loss`, or its keys
 *   (`["value", "history", "[]", "loss"]`, `"[]"` for every element).
 * @returns The matching values (empty when the path is missing).
 * @throws {UsageError} For an empty or malformed path.
 * @example
 * ```ts
 * import { valuesAt } from "./get_path.ts";
 * valuesAt({ value: { h: [{ l: 1 }, { l: 2 }] } }, "value.h.[].l"); // [1, 2]
 * ```
 */
export function valuesAt(
  value: unknown,
  path: string | readonly string[],
): unknown[] {
  return valuesAtSegments(
    value,
    typeof path === "string"
      ? segmentsOf(path)
      : path.map((s) => s === "[]" ? EVERY : s),
  );
}

/**
 * All values at a parsed path (see {@linkcode valuesAt}).
 *
 * @param value The root.
 * @param segments The path's segments.
 * @returns The matching values.
 */
export function valuesAtSegments(
  value: unknown,
  segments: readonly Segment[],
): unknown[] {
  const out: unknown[] = [];
  collect(value, segments, 0, out);
  return out;
}

/**
 * Reads a nested value by path, as Python exprag's `get_path`: with a `[]`
 * wildcard the result is the list of matches.
 *
 * @param value The root.
 * @param path E.g. `value.metrics.acc`, `value.history.[].loss`,
 *   `value.history.0.loss`, `value."val.acc"`.
 * @returns The value, or `undefined` when the path is missing.
 * @throws {UsageError} For an empty or malformed path.
 * @example
 * ```ts
 * import { getPath } from "./get_path.ts";
 * getPath({ value: { metrics: { acc: 0.9 } } }, "value.metrics.acc"); // 0.9
 * ```
 */
export function getPath(value: unknown, path: string): unknown {
  const parts = segmentsOf(path);
  const found = valuesAtSegments(value, parts);
  if (parts.includes(EVERY)) return found.length > 0 ? found : undefined;
  return found[0];
}
