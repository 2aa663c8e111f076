/**
 * The tree walker: the numeric leaves at one value path of a parsed track
 * record, in the order `SummaryBuilder` visits them. Paths are segments
 * from `src/value_path.ts`, so a key holding a dot is one segment
 * (`value."val.acc"`) and never mistaken for two (`value.val.acc`).
 *
 * Self-contained but for `EVERY` and `toNumber`, which the worker source
 * also includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import { toNumber } from "../../summary.ts";
import { EVERY, type Segment } from "../../value_path.ts";
import type { LeafSink } from "./leaf_stats.ts";

/**
 * Adds a recorded number (a number, or "NaN"/"Infinity"/"-Infinity").
 *
 * @param value A leaf.
 * @param ms Its record's `elapsed_ms`.
 * @param sink Where the number goes.
 * @returns Whether the leaf was numeric.
 */
export function addLeaf(value: unknown, ms: number, sink: LeafSink): boolean {
  const x = toNumber(value);
  if (x === undefined) return false;
  sink.push(x, ms);
  return true;
}

/**
 * Adds the numeric leaves at `segs[i..]` below a value: own keys only,
 * {@linkcode EVERY} for each element of a list.
 *
 * @param cur The value.
 * @param segs The path's segments.
 * @param i The first segment still to follow.
 * @param ms The record's `elapsed_ms`.
 * @param sink Where the numbers go.
 * @returns Whether any numeric leaf was found.
 */
export function walkLeaves(
  cur: unknown,
  segs: readonly Segment[],
  i: number,
  ms: number,
  sink: LeafSink,
): boolean {
  while (i < segs.length) {
    if (cur === null || typeof cur !== "object") return false;
    const seg = segs[i];
    if (Array.isArray(cur)) {
      if (seg !== EVERY) return false;
      let any = false;
      for (let k = 0; k < cur.length; k++) {
        if (walkLeaves(cur[k], segs, i + 1, ms, sink)) any = true;
      }
      return any;
    }
    if (seg === EVERY) return false;
    const v = (cur as Record<string, unknown>)[seg];
    if (v === undefined) return false;
    if (typeof v === "object" || typeof v === "function") {
      if (!Object.hasOwn(cur, seg)) return false; // from the prototype
    }
    cur = v;
    i++;
  }
  return addLeaf(cur, ms, sink);
}

/**
 * Adds the numeric leaves at a path of a record when it is a track record.
 *
 * @param r A parsed record.
 * @param segs The path's segments below `value`.
 * @param sink Where the numbers go.
 * @returns Whether any numeric leaf was found.
 */
export function collectRecord(
  r: Record<string, unknown>,
  segs: readonly Segment[],
  sink: LeafSink,
): boolean {
  if (r.kind !== "track") return false;
  const ms = typeof r.elapsed_ms === "number" ? r.elapsed_ms : 0;
  return walkLeaves(r.value, segs, 0, ms, sink);
}
