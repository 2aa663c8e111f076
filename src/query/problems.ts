/**
 * Problems met while reading: reported through `onProblem`, or thrown as a
 * {@linkcode ProblemError} when reading strictly; and a wrapper that
 * reports each problem once.
 *
 * @module
 */

import { type Problem, ProblemError } from "../errors.ts";
import type { ReadOptions } from "./types.ts";

/**
 * Reports a problem: throws it when `strict`, else hands it to `onProblem`.
 *
 * @param options Strictness and problem callback.
 * @param problem Where and what.
 * @throws {ProblemError} When `options.strict`.
 */
export function report(options: ReadOptions, problem: Problem): void {
  if (options.strict) throw new ProblemError(problem);
  options.onProblem?.(problem);
}

const DEDUPED = Symbol("deduped");

/**
 * A copy of the options whose `onProblem` drops repeated problems (the
 * same file, line and reason), for queries that read a file more than once.
 *
 * @param options Read options.
 * @returns The options, or a copy with a deduplicating `onProblem`.
 */
export function dedupeProblems<T extends ReadOptions>(options: T): T {
  const cb = options.onProblem;
  if (cb === undefined || DEDUPED in cb) return options;
  const seen = new Set<string>();
  const wrapped = (p: Problem) => {
    const key = `${p.file}\0${p.line}\0${p.reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    cb(p);
  };
  Object.defineProperty(wrapped, DEDUPED, { value: true });
  return { ...options, onProblem: wrapped };
}
