/**
 * Sparklines: a numeric series drawn in a few characters, for `show`,
 * `compare` and `tail`.
 *
 * Legend: `▁▂▃▄▅▆▇█` from the lowest to the highest finite value of the
 * series (a flat series, or a single value, is all `▄`); `·` NaN; `↑`
 * Infinity; `↓` -Infinity. With more values than the width, each character
 * stands for a bucket of consecutive values: the mean of its finite values,
 * unless the bucket holds a non-finite value, which is then shown (so one
 * NaN or one overflow never disappears into an average): `·` when it holds
 * a NaN, else `↑`/`↓` for the more frequent infinity.
 *
 * @module
 */

/** The levels, lowest first. */
export const SPARK_LEVELS = "▁▂▃▄▅▆▇█";
/** The character of a NaN (or a bucket holding one). */
export const SPARK_NAN = "·";
/** The character of Infinity. */
export const SPARK_INF = "↑";
/** The character of -Infinity. */
export const SPARK_NEG_INF = "↓";

/** One character's worth of values: a finite mean or a non-finite symbol. */
type Cell = number | string;

function bucketCell(values: readonly number[], from: number, to: number): Cell {
  let sum = 0, n = 0, nan = 0, inf = 0, negInf = 0;
  for (let i = from; i < to; i++) {
    const v = values[i];
    if (Number.isNaN(v)) nan++;
    else if (v === Infinity) inf++;
    else if (v === -Infinity) negInf++;
    else {
      sum += v;
      n++;
    }
  }
  if (nan > 0) return SPARK_NAN;
  if (inf + negInf > 0) return inf >= negInf ? SPARK_INF : SPARK_NEG_INF;
  return sum / n;
}

/**
 * Draws a series as a sparkline of at most `width` characters (see the
 * module documentation for the legend).
 *
 * @param values The series, in order (NaN and ±Infinity allowed).
 * @param width The most characters (default 24; at least 1).
 * @returns The sparkline; `""` for an empty series.
 * @example
 * ```ts
 * import { sparkline } from "./sparkline.ts";
 * sparkline([1, 2, 3, NaN, 8]); // "▁▂▃·█"
 * ```
 */
export function sparkline(values: readonly number[], width = 24): string {
  const w = Math.max(1, Math.floor(width));
  const n = values.length;
  if (n === 0) return "";
  const cells: Cell[] = [];
  const buckets = Math.min(n, w);
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    cells.push(bucketCell(values, from, to));
  }
  let lo = Infinity, hi = -Infinity;
  for (const c of cells) {
    if (typeof c !== "number") continue;
    if (c < lo) lo = c;
    if (c > hi) hi = c;
  }
  const top = SPARK_LEVELS.length - 1;
  return cells.map((c) => {
    if (typeof c === "string") return c;
    if (!(hi > lo)) return SPARK_LEVELS[3];
    const level = Math.round(((c - lo) / (hi - lo)) * top);
    return SPARK_LEVELS[Math.min(top, Math.max(0, level))];
  }).join("");
}
