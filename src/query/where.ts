/**
 * `where` clauses: `PATH OP VALUE` with ops `= != < <= > >= ~` on run fields
 * (`metadata.hparams.lr`, `git.branch`, `host.hostname`, `name`, `status`,
 * ...) and on `value.<path>` (the run's reduced value at that path).
 *
 * @module
 */

import { toNumber } from "../summary.ts";
import { valuesAt } from "./select.ts";
import { checkReducer, dedupeProblems, reducedValues } from "./stats.ts";
import { tryParseTimestamp } from "./time.ts";
import type { ReadOptions, Reducer, RunInfo, WhereClause } from "./types.ts";

const OPS = ["<=", ">=", "!=", "==", "=", "<", ">", "~"] as const;
const CLAUSE = /^\s*([^\s=!<>~]+)\s*(<=|>=|!=|==|=|<|>|~)\s*([\s\S]*?)\s*$/;

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
};
const START_ROOTS = ["git", "host", "process", "runtime", "unavailable"];

function checkPath(path: string, text: string): void {
  const root = path.split(".")[0];
  if (
    root in RUN_FIELDS || START_ROOTS.includes(root) ||
    ["metadata", "value", "start", "end"].includes(root)
  ) {
    if (
      root === "value" && path.split(".").filter((p) => p !== "").length < 2
    ) {
      throw new RangeError(
        `Invalid where clause ${
          JSON.stringify(text)
        }: value paths need a key, e.g. value.metrics.acc`,
      );
    }
    return;
  }
  throw new RangeError(
    `Invalid where clause ${JSON.stringify(text)}: unknown path root ${
      JSON.stringify(root)
    } (did you mean ${JSON.stringify(`metadata.${path}`)}?); ` +
      `use metadata.*, git.*, host.*, process.*, runtime.*, value.*, start.*, end.* or ${
        Object.keys(RUN_FIELDS).join(", ")
      }`,
  );
}

/**
 * Parses a `PATH OP VALUE` clause (spaces around the operator optional;
 * `==` is `=`; a value in double or single quotes is unquoted).
 *
 * @param text E.g. `metadata.hparams.lr <= 0.01`, `git.branch=main`, `name ~ ^resnet`.
 * @returns The clause.
 * @throws {RangeError} When the clause has no operator or an unknown path root.
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
  const m = CLAUSE.exec(text);
  if (m === null) {
    throw new RangeError(
      `Invalid where clause ${
        JSON.stringify(text)
      }: expected PATH OP VALUE with OP one of = != < <= > >= ~`,
    );
  }
  const path = m[1];
  const op = (m[2] === "==" ? "=" : m[2]) as WhereClause["op"];
  let value = m[3];
  if (
    value.length >= 2 && (value[0] === '"' || value[0] === "'") &&
    value.at(-1) === value[0]
  ) {
    value = value.slice(1, -1);
  }
  checkPath(path, text);
  return { path, op, value };
}

function toClause(c: string | WhereClause): WhereClause {
  if (typeof c === "string") return parseWhere(c);
  if (
    c === null || typeof c !== "object" || typeof c.path !== "string" ||
    !OPS.includes(c.op)
  ) {
    throw new TypeError(
      `Invalid where clause ${JSON.stringify(c)}: expected PATH OP VALUE`,
    );
  }
  checkPath(c.path, `${c.path} ${c.op} ${c.value}`);
  return { path: c.path, op: c.op, value: String(c.value) };
}

/** The values a clause path names on a run (value.* excluded). */
function runValues(run: RunInfo, path: string): unknown[] {
  const parts = path.split(".").filter((p) => p !== "");
  const root = parts[0];
  const rest = parts.slice(1);
  let base: unknown;
  if (root in RUN_FIELDS) base = run[RUN_FIELDS[root]];
  else if (root === "metadata") base = run.metadata;
  else if (root === "start") base = run.start;
  else if (root === "end") base = run.end;
  else base = run.start[root];
  if (base === undefined) return [];
  if (rest.length === 0) return [base];
  return valuesAt(base, rest);
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

const regexCache = new Map<string, RegExp | null>();
function regex(src: string): RegExp | null {
  if (!regexCache.has(src)) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(src);
    } catch {
      re = null;
    }
    regexCache.set(src, re);
  }
  return regexCache.get(src)!;
}

function test1(v: unknown, op: WhereClause["op"], rhs: string): boolean {
  if (op === "~") {
    const s = text(v);
    const re = regex(rhs);
    return re === null ? s.includes(rhs) : re.test(s);
  }
  const ln = typeof v === "boolean" ? undefined : numericOf(v);
  const rn = numericOf(rhs);
  if (op === "=") {
    if (ln !== undefined && rn !== undefined) {
      return ln === rn || (Number.isNaN(ln) && Number.isNaN(rn));
    }
    return text(v) === rhs;
  }
  if (ln !== undefined && rn !== undefined) {
    switch (op) {
      case "<":
        return ln < rn;
      case "<=":
        return ln <= rn;
      case ">":
        return ln > rn;
      case ">=":
        return ln >= rn;
    }
  }
  if (typeof v !== "string") return false;
  const lt = tryParseTimestamp(v), rt = tryParseTimestamp(rhs);
  const cmp = lt !== undefined && rt !== undefined
    ? (lt < rt ? -1 : lt > rt ? 1 : 0)
    : (v < rhs ? -1 : v > rhs ? 1 : 0);
  switch (op) {
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
  }
  return false;
}

function holds(values: unknown[], c: WhereClause): boolean {
  // a list value matches when any element matches
  const flat: unknown[] = [];
  for (const v of values) {
    if (Array.isArray(v)) flat.push(...v);
    else flat.push(v);
  }
  if (c.op === "!=") return !flat.some((v) => test1(v, "=", c.value));
  return flat.some((v) => test1(v, c.op, c.value));
}

/**
 * Tells whether a run satisfies every clause. A missing path satisfies only
 * `!=`; a list satisfies a clause when any element does; numbers (and the
 * `"NaN"`/`"Infinity"` strings) compare numerically, timestamps as instants,
 * other strings lexically; `~` is a regular-expression (or, when the
 * pattern is invalid, substring) match.
 *
 * @param run The run.
 * @param clauses Clauses (strings or parsed).
 * @param values Reduced values for `value.*` clause paths (path → value);
 *   a `value.*` path missing here counts as missing.
 * @returns Whether all clauses hold.
 * @example
 * ```ts ignore
 * import { matchesWhere } from "./where.ts";
 * matchesWhere(run, ["metadata.hparams.batch_size = 32", "status = finished"]);
 * ```
 */
export function matchesWhere(
  run: RunInfo,
  clauses: readonly (string | WhereClause)[],
  values: Readonly<Record<string, unknown>> = {},
): boolean {
  for (const raw of clauses) {
    const c = toClause(raw);
    const key = c.path.split(".").filter((p) => p !== "").join(".");
    const vals = key.startsWith("value.")
      ? (Object.hasOwn(values, key) && values[key] !== null &&
          values[key] !== undefined
        ? [values[key]]
        : [])
      : runValues(run, c.path);
    if (!holds(vals, c)) return false;
  }
  return true;
}

/**
 * Keeps the runs satisfying all clauses, computing `value.*` paths with the
 * reducer `by` (default `last`). @internal
 */
export async function filterRuns(
  runs: readonly RunInfo[],
  clauses: readonly (string | WhereClause)[],
  options: ReadOptions & { by?: Reducer } = {},
): Promise<RunInfo[]> {
  const parsed = clauses.map(toClause);
  const by = checkReducer(options.by ?? "last");
  const opts = dedupeProblems(options);
  const norm = (p: string) => p.split(".").filter((x) => x !== "").join(".");
  const plain = parsed.filter((c) => !norm(c.path).startsWith("value."));
  // cheap clauses first; value clauses only for the runs left
  const left = runs.filter((run) => matchesWhere(run, plain));
  const valuePaths = [
    ...new Set(
      parsed.map((c) => norm(c.path)).filter((p) => p.startsWith("value.")),
    ),
  ];
  const values: Record<string, unknown>[] = left.map(() => ({}));
  for (const p of valuePaths) {
    const reduced = await reducedValues(left, p, by, opts);
    reduced.forEach((r, i) => (values[i][p] = r.value));
  }
  return left.filter((run, i) => matchesWhere(run, parsed, values[i]));
}
