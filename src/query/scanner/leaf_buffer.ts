/**
 * The numbers a scan found, in a growing typed array (no object per
 * value): the series of a path (their records' `elapsed_ms` are not kept;
 * the statistics sink, `leaf_stats.ts`, keeps the first and last).
 *
 * Self-contained: the worker source includes it by its text.
 *
 * @module
 * @internal
 */

import type { LeafSink } from "./leaf_stats.ts";

/** Values a fresh buffer holds before it first grows (it doubles). */
export const LEAF_BUFFER_START = 8192;

/** The leaves of one scan, copied out of a {@linkcode LeafBuffer}. */
export interface Leaves {
  /** How many. */
  n: number;
  /** The values, in file order. */
  values: Float64Array;
}

/** A sink that keeps every number it is given (for series). */
export interface LeafBuffer extends LeafSink {
  /** Forgets every value (the arrays are kept for the next scan). */
  clear(): void;
  /** A copy of the values, sized to fit. */
  take(): Leaves;
  /** The values as a plain array. */
  toArray(): number[];
}

/**
 * Creates an empty leaf buffer.
 *
 * @returns A buffer of {@linkcode LEAF_BUFFER_START} values that grows as needed.
 */
export function createLeafBuffer(): LeafBuffer {
  let values = new Float64Array(LEAF_BUFFER_START);
  let n = 0;
  return {
    get count() {
      return n;
    },
    push(value: number): void {
      if (n === values.length) {
        const v2 = new Float64Array(n * 2);
        v2.set(values);
        values = v2;
      }
      values[n++] = value;
    },
    clear(): void {
      n = 0;
    },
    take(): Leaves {
      return { n, values: values.slice(0, n) };
    },
    toArray(): number[] {
      return Array.from(values.subarray(0, n));
    },
  };
}
