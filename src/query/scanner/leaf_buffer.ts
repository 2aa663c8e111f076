/**
 * The numbers a scan found, with the `elapsed_ms` of their records, in two
 * growing typed arrays (no object per value).
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
  /** `elapsed_ms` of each value's record. */
  elapsed: Float64Array;
}

/** A sink that keeps every number it is given (for series). */
export interface LeafBuffer extends LeafSink {
  /** Forgets every value (the arrays are kept for the next scan). */
  clear(): void;
  /** A copy of the values and times, sized to fit. */
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
  let elapsed = new Float64Array(LEAF_BUFFER_START);
  let n = 0;
  return {
    get count() {
      return n;
    },
    push(value: number, elapsedMs: number): void {
      if (n === values.length) {
        const v2 = new Float64Array(n * 2), e2 = new Float64Array(n * 2);
        v2.set(values);
        e2.set(elapsed);
        values = v2;
        elapsed = e2;
      }
      values[n] = value;
      elapsed[n] = elapsedMs;
      n++;
    },
    clear(): void {
      n = 0;
    },
    take(): Leaves {
      return { n, values: values.slice(0, n), elapsed: elapsed.slice(0, n) };
    },
    toArray(): number[] {
      return Array.from(values.subarray(0, n));
    },
  };
}
