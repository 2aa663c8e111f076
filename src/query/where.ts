/**
 * `where` clauses, the one grammar of the API and the CLI's `--where`:
 * `PATH OP VALUE` with ops `= == != < <= > >= ~` on run fields
 * (`metadata.hparams.lr`, `git.branch`, `host.hostname`, `name`, `status`,
 * ...) and on `value.<path>` (the run's reduced value at that path). Paths
 * are written as everywhere else (`src/value_path.ts`): a key holding a dot,
 * a space or an operator is quoted, `metadata."a.b" = 1`.
 *
 * Pure: parsing and matching only; reduced values come from the caller.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { toNumber } from "../summary.ts";
import { canonicalPath, type Segment } from "../value_path.ts";
import { segmentsOf, valuesAtSegments } from "./get_path.ts";
import { checkPattern, patternMatcher } from "./pattern.ts";
import { tryParseTimestamp } from "./time.ts";
import type { RunInfo, WhereClause } from "./types.ts";
import { splitWhere, WHERE_OPS } from "./where_syntax.ts";

export { splitWhere, WHERE_OPS };

/** Top-level run fields usable in clauses. */
const RUN_FIELDS: Record<string, keyof RunInfo> = {
  id: "id",
  run_id: "id",
  name: "name",
  experiment_name: "name",
  status: "status",
  status_reason: "status_reason",
  started_at: "started_at",
  last_at: "last_at",
  duration_ms: "duration_ms",
  records: "records",
  writer: "writer",
  exprag_version: "exprag_version",
  exit_code: "exit_code",
  file: "file",
  tags: "tags",
  notes: "notes",
};
const START_ROOTS = ["git", "host", "process", "runtime", "unavailable"];
const OTHER_ROOTS = ["metadata", "value", "start", "end"];

function invalid(text: string, why: string): UsageError {
  return new UsageError(`Invalid where clause ${JSON.stringify(text)}: ${why}`);
}

/** Checks a clause's path and pattern; returns the path's segments. */
function checkClause(c: WhereClause, text: string): Segment[] {
  let segments: Segment[];
  try {
    segments = segmentsOf(c.path);
  } catch (e) {
    throw invalid(text, e instanceof Error ? e.message : String(e));
  }
  const root = segments[0];
  const known = root !== null &&
    (root in RUN_FIELDS || START_ROOTS.includes(root) ||
      OTHER_ROOTS.includes(root));
  if (!known) {
    throw invalid(
      text,
      `unknown path root ${JSON.stringify(root ?? "[]")} (did you mean ${
        JSON.stringify(`metadata.${c.path}`)
      }?); use metadata.*, git.*, host.*, process.*, runtime.*, value.*, start.*, end.* or ${
        Object.keys(RUN_FIELDS).join(", ")
      }`,
    );
  }
  if (root === "value" && segments.length < 2) {
    throw invalid(text, "value paths need a key, e.g. value.metrics.acc");
  }
  if (c.op === "~") {
    const why = checkPattern(c.value);
    if (why !== undefined) throw invalid(text, why);
  }
  return segments;
}

/**
 * Parses a `PATH OP VALUE` clause (see {@linkcode splitWhere}) and checks
 * its path root, its path syntax and, for `~`, its pattern.
 *
 * @param text E.g. `metadata.hparams.lr <= 0.01`, `git.branch=main`, `name ~ ^resnet`.
 * @returns The clause (the path as written).
 * @throws {UsageError} (a `RangeError`) When the clause has no operator, an
 *   unknown path root, a malformed path, or a pattern that is no valid
 *   regular expression or could take exponential time.
 * @throws {TypeError} When `text` is not a string.
 * @example
 * ```ts
 * import { parseWhere } from "./where.ts";
 * parseWhere("metadata.hparams.batch_size = 32");
 * // { path: "metadata.hparams.batch_size", op: "=", value: "32" }
 * ```
 */
export function parseWhere(text: string): WhereClause {
  if (typeof text !== "string") {
    throw new TypeError(
      `Invalid where clause ${String(text)}: expected a string`,
    );
  }
  const c = splitWhere(text);
  if (c === undefined) {
    throw invalid(
      text,
      "expected PATH OP VALUE with OP one of = != < <= > >= ~",
    );
  }
  checkClause(c, text);
  return c;
}

/** A clause checked once, ready to match many runs. */
export interface CompiledClause {
  /** The clause. */
  clause: WhereClause;
  /** The path's segments. */
  segments: Segment[];
  /** The canonical path, the key of reduced values for `value.*` paths. */
  key: string;
  /** True for a `value.*` path (needs the run's reduced value). */
  isValue: boolean;
  /** Tests one leaf value. */
  test: (v: unknown) => boolean;
}

/**
 * Checks a clause given as text or as an object, once.
 *
 * @param c The clause.
 * @returns The compiled clause.
 * @throws {UsageError} As {@linkcode parseWhere}.
 * @throws {TypeError} For an object that is no clause.
 */
export function compileClause(c: string | WhereClause): CompiledClause {
  let clause: WhereClause;
  let text: string;
  if (typeof c === "string") {
    clause = parseWhere(c);
    text = c;
  } else {
    if (
      c === null || typeof c !== "object" || typeof c.path !== "string" ||
      !(WHERE_OPS as readonly string[]).includes(c.op)
    ) {
      throw new TypeError(
        `Invalid where clause ${JSON.stringify(c)}: expected PATH OP VALUE`,
      );
    }
    const op = (c.op as string) === "==" ? "=" : c.op;
    clause = { path: c.path, op, value: String(c.value) };
    text = `${c.path} ${c.op} ${c.value}`;
  }
  const segments = checkClause(clause, text);
  return {
    clause,
    segments,
    key: canonicalPath(clause.path),
    isValue: segments[0] === "value",
    test: leafTest(clause),
  };
}

/**
 * The values a path names on a run's fields, metadata, run_start or
 * run_end (`value.*` paths excluded: they name track records).
 *
 * @param run The run.
 * @param segments The parsed path, e.g. of `metadata.hparams.lr`.
 * @returns The values there (empty when the run has none).
 */
export function runValues(
  run: RunInfo,
  segments: readonly Segment[],
): unknown[] {
  const root = segments[0] as string;
  const rest = segments.slice(1);
  let base: unknown;
  if (root in RUN_FIELDS) base = run[RUN_FIELDS[root]];
  else if (root === "metadata") base = run.metadata;
  else if (root === "start") base = run.start;
  else if (root === "end") base = run.end;
  else base = run.start[root];
  if (base === undefined) return [];
  if (rest.length === 0) return [base];
  return valuesAtSegments(base, rest);
}

function numericOf(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const special = toNumber(v);
    if (special !== undefined) return special;
    const t = v.trim();
    if (t !== "" && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
      return Number(t);
    }
  }
  return undefined;
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || typeof v !== "object") return String(v);
  return JSON.stringify(v);
}

function equals(v: unknown, rhs: string, rn: number | undefined): boolean {
  const ln = typeof v === "boolean" ? undefined : numericOf(v);
  if (ln !== undefined && rn !== undefined) {
    return ln === rn || (Number.isNaN(ln) && Number.isNaN(rn));
  }
  return text(v) === rhs;
}

function order(v: unknown, rhs: string, rn: number | undefined): number {
  const ln = typeof v === "boolean" ? undefined : numericOf(v);
  if (ln !== undefined && rn !== undefined) {
    return ln < rn ? -1 : ln > rn ? 1 : ln === rn ? 0 : NaN;
  }
  if (typeof v !== "string") return NaN;
  const lt = tryParseTimestamp(v), rt = tryParseTimestamp(rhs);
  return lt !== undefined && rt !== undefined
    ? (lt < rt ? -1 : lt > rt ? 1 : 0)
    : (v < rhs ? -1 : v > rhs ? 1 : 0);
}

/** The test of one leaf value against a clause (`!=` negated by the caller). */
function leafTest(c: WhereClause): (v: unknown) => boolean {
  const rhs = c.value;
  const rn = numericOf(rhs);
  switch (c.op) {
    case "~": {
      const match = patternMatcher(rhs);
      return (v) => match(text(v));
    }
    case "=":
    case "!=":
      return (v) => equals(v, rhs, rn);
    case "<":
      return (v) => order(v, rhs, rn) < 0;
    case "<=":
      return (v) => order(v, rhs, rn) <= 0;
    case ">":
      return (v) => order(v, rhs, rn) > 0;
    case ">=":
      return (v) => order(v, rhs, rn) >= 0;
  }
}

/**
 * Whether one compiled clause holds for a run.
 *
 * @param run The run.
 * @param c The compiled clause.
 * @param values Reduced values by canonical `value.*` path.
 * @returns Whether it holds.
 */
export function clauseHolds(
  run: RunInfo,
  c: CompiledClause,
  values: Readonly<Record<string, unknown>> = {},
): boolean {
  const found = c.isValue
    ? (Object.hasOwn(values, c.key) && values[c.key] !== null &&
        values[c.key] !== undefined
      ? [values[c.key]]
      : [])
    : runValues(run, c.segments);
  // a list value matches when any element matches
  const flat = found.flatMap((v) => Array.isArray(v) ? v : [v]);
  if (c.clause.op === "!=") return !flat.some(c.test);
  return flat.some(c.test);
}

/**
 * Tells whether a run satisfies every clause. A missing path satisfies only
 * `!=`; a list satisfies a clause when any element does; numbers (and the
 * `"NaN"`/`"Infinity"` strings) compare numerically, timestamps as instants,
 * other strings lexically; `~` is a regular-expression match (compiled with
 * the `u` flag; an invalid pattern is a `UsageError`, as in `parseWhere`).
 *
 * @param run The run.
 * @param clauses Clauses (strings or parsed).
 * @param values Reduced values for `value.*` clause paths (path → value);
 *   a `value.*` path missing here counts as missing.
 * @returns Whether all clauses hold.
 * @throws {UsageError} For an invalid clause.
 *
 * @example Test one run against clauses
 * ```ts
 * import { matchesWhere } from "./where.ts";
 * import { listRuns } from "./catalog.ts";
 * import { Experiment } from "../tracker/experiment.ts";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("t", { dir, git: false, metadata: { bs: 32 } }).end();
 * const [run] = await listRuns({ dir });
 * equal(matchesWhere(run, ["metadata.bs = 32", "status = finished"]), true);
 * equal(matchesWhere(run, ["metadata.bs > 32"]), false);
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function matchesWhere(
  run: RunInfo,
  clauses: readonly (string | WhereClause)[],
  values: Readonly<Record<string, unknown>> = {},
): boolean {
  const keyed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    try {
      keyed[canonicalPath(k)] = v;
    } catch {
      // not a path: never named by a clause
    }
  }
  return clauses.every((c) => clauseHolds(run, compileClause(c), keyed));
}
