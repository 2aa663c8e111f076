/**
 * Edit distance, for "did you mean" suggestions (paths of a run's code,
 * recorded value paths).
 *
 * @module
 */

/**
 * The Levenshtein distance of two short strings.
 *
 * @param a One string.
 * @param b The other.
 * @returns The fewest single-character insertions, deletions and
 *   substitutions that turn `a` into `b`.
 * @example
 * ```ts
 * import { editDistance } from "./edit_distance.ts";
 * import { equal } from "node:assert/strict";
 * equal(editDistance("metric", "metrics"), 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length];
}
