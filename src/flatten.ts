/**
 * Flattening nested objects into `path → leaf` pairs, for key/value views
 * (comparing metadata, showing a run). Paths are written with
 * `src/value_path.ts`, so a key with a dot is quoted (`metadata."val.acc"`).
 *
 * @module
 */
import { childPath } from "./value_path.ts";

/**
 * Flattens nested plain objects into `[path, leaf]` pairs in key order.
 * Lists and other non-objects are leaves (kept whole); an empty object is a
 * leaf `{}`.
 *
 * @param value The value to flatten.
 * @param prefix The path of the value itself, e.g. `metadata`.
 * @param out Where the pairs go (appended).
 * @returns `out`.
 *
 * @example
 * ```ts
 * import { flattenObject } from "./flatten.ts";
 * flattenObject({ lr: 0.1, opt: { name: "adam" }, "a.b": [1] }, "metadata");
 * // [["metadata.lr", 0.1], ["metadata.opt.name", "adam"], ['metadata."a.b"', [1]]]
 * ```
 */
export function flattenObject(
  value: unknown,
  prefix: string,
  out: [string, unknown][] = [],
): [string, unknown][] {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) out.push([prefix, {}]);
    for (const k of keys) {
      flattenObject(
        (value as Record<string, unknown>)[k],
        childPath(prefix, k),
        out,
      );
    }
  } else {
    out.push([prefix, value]);
  }
  return out;
}
