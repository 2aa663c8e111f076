/**
 * A leaf sink that keeps only the statistics of the numbers a scan finds
 * (count, first/last with their `elapsed_ms`, min, max, sum, NaNs), with
 * `src/summary.ts`'s own accumulator functions: a scan's memory does not
 * grow with the file, and its statistics are `SummaryBuilder`'s.
 *
 * Self-contained but for `newStatsAcc` and `addToStats`, which the worker
 * source also includes (see `worker_source.ts`).
 *
 * @module
 * @internal
 */

import { addToStats, newStatsAcc, type StatsAcc } from "../../summary.ts";

/** Where walkers and templates put numbers: all a line scan needs. */
export interface LeafSink {
  /** How many values it was given. */
  readonly count: number;
  /** Adds one value with its record's `elapsed_ms`. */
  push(value: number, elapsedMs: number): void;
}

/** A sink that reduces its values to their statistics. */
export interface LeafStats extends LeafSink {
  /** Forgets every value. */
  clear(): void;
  /** The statistics so far (`null` before the first value). */
  take(): StatsAcc | null;
}

/**
 * Creates an empty statistics sink.
 *
 * @returns The sink.
 */
export function createLeafStats(): LeafStats {
  let acc: StatsAcc | null = null;
  return {
    get count() {
      return acc === null ? 0 : acc.count;
    },
    push(value: number, elapsedMs: number): void {
      addToStats(acc ??= newStatsAcc(value, elapsedMs), value, elapsedMs);
    },
    clear(): void {
      acc = null;
    },
    take(): StatsAcc | null {
      const a = acc;
      acc = null;
      return a;
    },
  };
}
