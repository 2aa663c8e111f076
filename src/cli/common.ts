/**
 * Helpers shared by the command implementations: read options, run
 * references, filters. No query logic lives here; it all comes from
 * src/query.
 *
 * @module
 */

import { resolve } from "node:path";
import {
  listRuns,
  matchesWhere,
  parseTimeBound,
  parseWhere,
  resolveRun,
  RunRefError,
  runsDir,
} from "../query/mod.ts";
import type { ReadOptions, RunFilter, RunInfo } from "../query/mod.ts";
import type { Context } from "./context.ts";
import { isoTime, seconds, stderrLine } from "./format.ts";
import { NotFoundError } from "../errors.ts";
import { UsageError, type Where } from "./parse.ts";

/**
 * The reading options of an invocation: directory, strictness, problem reporting.
 *
 * @param ctx The invocation.
 * @returns Options for the reading API.
 */
export function readOptions(ctx: Context): ReadOptions {
  return { dir: ctx.dir, strict: ctx.strict, onProblem: ctx.onProblem };
}

/**
 * The run filter of an invocation (`--since`, `--until`, `--where`),
 * validated before anything is read.
 *
 * @param ctx The invocation.
 * @returns The filter.
 * @throws {UsageError} On an invalid time.
 */
export function runFilter(ctx: Context): RunFilter {
  const f: RunFilter = {};
  for (const key of ["since", "until"] as const) {
    const v = ctx.options[key];
    if (typeof v !== "string") continue;
    try {
      parseTimeBound(v);
    } catch (e) {
      throw new UsageError(
        `--${key}: ${e instanceof Error ? e.message : String(e)}`,
        undefined,
      );
    }
    f[key] = v;
  }
  const where = ctx.options.where as Where[] | undefined;
  if (where && where.length > 0) {
    for (const w of where) {
      try {
        // validates the path root and operator before anything is read
        // (with the real value, so that an error quotes the clause as given)
        parseWhere(`${w.path} ${w.op} ${w.value}`);
      } catch (e) {
        throw new UsageError(
          `--where: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
    f.where = where.map((w) => ({ ...w }));
  }
  return f;
}

/**
 * Resolves a run reference, turning reference errors into CLI errors
 * (exit 1 for not found or ambiguous, 2 for invalid syntax).
 *
 * @param ctx The invocation.
 * @param ref The reference (id, prefix, latest, latest~N).
 * @returns The run.
 */
export async function resolveRef(ctx: Context, ref: string): Promise<RunInfo> {
  try {
    return await resolveRun(ref, readOptions(ctx));
  } catch (e) {
    throw refError(e, ctx);
  }
}

/**
 * Maps an error of the reading API to a CLI error: invalid run references
 * and invalid filters are usage errors (exit 2), the rest exit 1.
 *
 * @param e The error.
 * @param ctx The invocation, to tell when the runs directory is missing.
 * @returns The error to throw.
 */
export function refError(e: unknown, ctx?: Context): unknown {
  if (e instanceof RunRefError) {
    if (e.reason === "invalid") return new UsageError(e.message);
    // "no run matches": say why when there is no runs directory here, else
    // how runs are named
    const note = (ctx === undefined ? undefined : missingDirNote(ctx)) ??
      (e.reason === "not_found"
        ? "runs are named by full id, unique id prefix, latest or latest~N: see exprag runs"
        : undefined);
    return new NotFoundError(
      note === undefined ? e.message : `${e.message}; ${note}`,
    );
  }
  return e;
}

/**
 * Runs a reading-API call, mapping its input errors (RangeError: an
 * invalid `where`, time or run reference) to usage errors.
 *
 * @param f The call.
 * @param ctx The invocation, to tell when the runs directory is missing.
 * @returns Its result.
 */
export async function query<T>(
  f: () => Promise<T> | T,
  ctx?: Context,
): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const mapped = refError(e, ctx);
    if (mapped !== e) throw mapped;
    if (
      e instanceof RangeError && !/^\S+:\d+: /.test(e.message) &&
      !/call stack/i.test(e.message) // a stack overflow is no usage error
    ) {
      throw new UsageError(e.message);
    }
    throw e;
  }
}

/** Short commit for tables: 12 hex digits, or the value as recorded when not hex. */
export function shortCommit(c: unknown): string | null {
  if (typeof c !== "string") return null;
  return /^[0-9a-f]{13,64}$/.test(c) ? c.slice(0, 12) : c;
}

/** The git fields of a run, for tables (values as recorded, escaped by the table). */
export function gitFields(run: RunInfo): {
  commit: unknown;
  branch: unknown;
  dirty: unknown;
  base: unknown;
  head_branch: unknown;
} {
  const g = run.git;
  if (g === null || typeof g !== "object") {
    return {
      commit: null,
      branch: null,
      dirty: null,
      base: null,
      head_branch: null,
    };
  }
  return {
    commit: g.commit ?? null,
    branch: g.branch ?? null,
    dirty: typeof g.dirty === "boolean" ? g.dirty : null,
    base: g.head ?? null,
    head_branch: g.head_branch ?? null,
  };
}

/**
 * The JSON form of a run for `--json` outputs: every RunInfo field except
 * the raw run_start and run_end values (shown by `show`).
 *
 * @param run The run.
 * @returns A plain object.
 */
export function runJson(run: RunInfo): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    status_reason: run.status_reason,
    started_at: run.started_at,
    last_at: run.last_at,
    duration_ms: run.duration_ms,
    records: run.records,
    exit_code: run.exit_code,
    writer: run.writer,
    file: run.file,
    git: run.git,
    metadata: run.metadata ?? null,
  };
}

/** The table cells common to run listings. */
export function runTimes(
  run: RunInfo,
): { started: string | null; last: string | null; duration_s: number | null } {
  return {
    started: isoTime(run.started_at),
    last: isoTime(run.last_at),
    duration_s: seconds(run.duration_ms),
  };
}

/**
 * Why a `--where` filter kept no run, when the reason is a path no run has
 * (e.g. `metadata.batch_size` for `metadata.hparams.batch_size`): an empty
 * table alone would read as "no such run". Only run fields and metadata
 * paths are checked (`value.*` paths are reported by the commands).
 *
 * @param ctx The invocation.
 * @returns A one-line note, or `undefined` when every path exists in some run.
 */
export async function missingWhereNote(
  ctx: Context,
): Promise<string | undefined> {
  const where = ctx.options.where as Where[] | undefined;
  if (!where || where.length === 0) return undefined;
  const paths = [
    ...new Set(
      where.map((w) => w.path).filter((p) => !/^value(\.|$)/.test(p)),
    ),
  ];
  if (paths.length === 0) return undefined;
  const { where: _, ...rest } = runFilter(ctx);
  const runs = await listRuns({ ...readOptions(ctx), ...rest });
  // `~ ""` holds for every value present at the path, and for no missing one
  const missing = paths.filter((path) =>
    !runs.some((run) => matchesWhere(run, [{ path, op: "~", value: "" }]))
  );
  if (missing.length === 0) return undefined;
  return `no run has ${missing.join(", ")} (${runs.length} run${
    runs.length === 1 ? "" : "s"
  } considered); see the metadata paths with exprag show latest`;
}

/**
 * When the runs directory does not exist (exprag run from the wrong
 * directory, or a wrong `--dir`), says so: otherwise an empty answer reads
 * as "nothing was recorded".
 *
 * @param ctx The invocation.
 * @returns A one-line note, or `undefined` when the runs directory exists.
 */
export function missingDirNote(ctx: Context): string | undefined {
  const runs = runsDir(ctx.dir);
  try {
    Deno.statSync(runs);
    return undefined;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return undefined;
  }
  return `no runs directory ${
    JSON.stringify(resolve(runs))
  }: run exprag from the directory holding .exprag, or pass --dir DIR (and --allow-read=DIR)`;
}

/**
 * Why an answer is empty, when it is not simply "no run matched": a
 * missing runs directory ({@linkcode missingDirNote}) or a `--where` path
 * that no run has ({@linkcode missingWhereNote}).
 *
 * @param ctx The invocation.
 * @returns A one-line note, or `undefined`.
 */
export async function emptyNote(ctx: Context): Promise<string | undefined> {
  return missingDirNote(ctx) ?? await missingWhereNote(ctx);
}

/**
 * The runs the `runs` and `git` commands list: filtered by `--since`,
 * `--until`, `--where` and `--limit`, newest first. When none is left, a
 * one-line `exprag: note:` on stderr says why, if the reason is a missing
 * runs directory or a `--where` path no run has.
 *
 * @param ctx The invocation.
 * @returns The runs, newest first.
 */
export async function listedRuns(ctx: Context): Promise<RunInfo[]> {
  const runs = await query(() =>
    listRuns({
      ...readOptions(ctx),
      ...runFilter(ctx),
      limit: ctx.options.limit as number | undefined,
    })
  );
  runs.reverse(); // newest first
  if (runs.length === 0) {
    const note = await emptyNote(ctx);
    if (note !== undefined) stderrLine(`exprag: note: ${note}`);
  }
  return runs;
}
