/**
 * Run filters (`since`, `until`, `where`, `by`) checked once, before
 * anything is read, and applied to the fields of listed runs. Pure: the
 * reduced values of `value.*` clauses come from the caller.
 *
 * @module
 */

import { checkReducer } from "./reduce.ts";
import { parseTimeBound, tryParseTimestamp } from "./time.ts";
import type { Reducer, RunFilter, RunInfo, WhereClause } from "./types.ts";
import { clauseHolds, compileClause, type CompiledClause } from "./where.ts";

/** A {@linkcode RunFilter} checked once. */
export interface CompiledFilter {
  /** `since` in nanoseconds since the epoch. */
  since?: bigint;
  /** `until` in nanoseconds since the epoch. */
  until?: bigint;
  /** Clauses on run fields, cheap to test. */
  plain: CompiledClause[];
  /** Clauses on `value.*` paths, which need reduced values. */
  values: CompiledClause[];
  /** The reducer of `value.*` clauses. */
  by: Reducer;
  /** A key telling equal filters apart (for caching the filtered runs). */
  key: string;
}

const compiledWhere = new WeakMap<
  readonly (string | WhereClause)[],
  CompiledClause[]
>();

/**
 * Checks `where` clauses once; the same array is never checked twice.
 *
 * @param where The clauses, as text or parsed.
 * @returns The compiled clauses.
 * @throws {UsageError} For an invalid clause.
 */
export function compileWhere(
  where: readonly (string | WhereClause)[],
): CompiledClause[] {
  let out = compiledWhere.get(where);
  if (out === undefined) {
    out = where.map(compileClause);
    compiledWhere.set(where, out);
  }
  return out;
}

/**
 * Checks a run filter once, before anything is read.
 *
 * @param filter `since`, `until`, `where` and `by`.
 * @returns The compiled filter.
 * @throws {UsageError} For an invalid time, clause or reducer.
 */
export function compileFilter(filter: RunFilter): CompiledFilter {
  const since = filter.since === undefined
    ? undefined
    : parseTimeBound(filter.since);
  const until = filter.until === undefined
    ? undefined
    : parseTimeBound(filter.until);
  const clauses = filter.where === undefined ? [] : compileWhere(filter.where);
  // the reducer matters (and is checked) only when there are clauses
  const by = clauses.length > 0 ? checkReducer(filter.by ?? "last") : "last";
  const key = JSON.stringify([
    since?.toString(),
    until?.toString(),
    clauses.map((c) => c.clause),
    by,
  ]);
  return {
    since,
    until,
    plain: clauses.filter((c) => !c.isValue),
    values: clauses.filter((c) => c.isValue),
    by,
    key,
  };
}

/**
 * Whether a run passes the time bounds and the clauses on run fields.
 *
 * @param run The run.
 * @param f The filter.
 * @returns Whether it passes (`value.*` clauses not yet tested).
 */
export function passesPlain(run: RunInfo, f: CompiledFilter): boolean {
  if (f.since !== undefined || f.until !== undefined) {
    const t = tryParseTimestamp(run.started_at);
    if (t === undefined) return false;
    if (f.since !== undefined && t < f.since) return false;
    if (f.until !== undefined && t > f.until) return false;
  }
  return f.plain.every((c) => clauseHolds(run, c));
}

/**
 * Whether a run passes the `value.*` clauses, given its reduced values.
 *
 * @param run The run.
 * @param f The filter.
 * @param values Reduced values by canonical path.
 * @returns Whether every `value.*` clause holds.
 */
export function passesValues(
  run: RunInfo,
  f: CompiledFilter,
  values: Readonly<Record<string, unknown>>,
): boolean {
  return f.values.every((c) => clauseHolds(run, c, values));
}
