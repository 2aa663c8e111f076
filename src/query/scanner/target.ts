/**
 * What a scan looks for: a summary path (`value.metrics.acc`,
 * `value."val.acc"`, `value.history.[].loss`) read once with
 * `src/value_path.ts`'s `parsePath`, with the cheap line filter derived
 * from its last key.
 *
 * Self-contained but for `EVERY` and `parsePath`, which the worker source
 * also includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import { EVERY, parsePath, type Segment } from "../../value_path.ts";

/** A parsed scan path. */
export interface ScanTarget {
  /** The path as given (the key of its statistics). */
  path: string;
  /** The segments below `value` (none for the path `value` itself). */
  segs: Segment[];
  /** Whether a segment is {@linkcode EVERY} (several leaves per record). */
  lists: boolean;
  /**
   * Text every line holding the last key (written without escapes) holds:
   * the key's end and its closing quote; `undefined` when there is none
   * worth looking for.
   */
  needle: string | undefined;
}

/**
 * Reads a summary path.
 *
 * @param path `value` or a path below it, e.g. `value.metrics.acc`.
 * @returns The target.
 * @throws {RangeError} When the path is malformed or not below `value`.
 */
export function scanTarget(path: string): ScanTarget {
  const all = parsePath(path);
  if (all[0] !== "value") {
    throw new RangeError(
      `Invalid path ${
        JSON.stringify(path)
      }: expected a track value path like value.metrics.acc`,
    );
  }
  const segs = all.slice(1);
  return {
    path,
    segs,
    lists: segs.includes(EVERY),
    needle: keyNeedle(segs.length === 0 ? EVERY : segs[segs.length - 1]),
  };
}

/**
 * The end of a key as JSON writes it, with its closing quote (`acc"`): a
 * line holding the key unescaped holds this text.
 *
 * @param key The last segment of a path.
 * @returns The text, or `undefined` for {@linkcode EVERY}, the empty key
 *   and `value` (which every record holds).
 */
export function keyNeedle(key: Segment): string | undefined {
  if (key === EVERY || key === "" || key === "value") return undefined;
  return JSON.stringify(key).slice(1);
}

/**
 * {@linkcode keyNeedle} of a path's last segment.
 *
 * @param path A summary path.
 * @returns The needle, or `undefined`.
 * @throws {RangeError} When the path is malformed.
 */
export function pathNeedle(path: string): string | undefined {
  const segs = parsePath(path);
  return segs.length < 2 ? undefined : keyNeedle(segs[segs.length - 1]);
}
