/**
 * Helpers shared by the command implementations: the run catalogue of an
 * invocation, read options, run references, filters. No query logic lives
 * here; it all comes from src/query. Errors keep their classes (the CLI
 * maps classes to exit codes).
 *
 * @module
 */

import { resolve } from "../path.ts";
import { danglingLinkOn } from "../make_dir.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import {
  listRuns,
  matchesWhere,
  parseTimeBound,
  RunCatalog,
  RunRefError,
  runsDir,
  tryParseTimestamp,
} from "../query/mod.ts";
import type {
  ReadOptions,
  RunFilter,
  RunInfo,
  RunState,
} from "../query/mod.ts";
import { compileWhere } from "../query/filter.ts";
import { RUN_STATES } from "../query/status.ts";
import type { Context } from "./context.ts";
import { isoTime, seconds, stderrLine } from "./format.ts";
import type { Where } from "./parse.ts";

/**
 * The reading options of an invocation: directory, strictness, problem reporting.
 *
 * @param ctx The invocation.
 * @returns Options for the reading API.
 */
export function readOptions(ctx: Context): ReadOptions {
  return { dir: ctx.dir, strict: ctx.strict, onProblem: ctx.onProblem };
}

const catalogs = new WeakMap<Context, RunCatalog>();

/**
 * The run catalogue of an invocation: the runs are listed once, however
 * many questions the command asks.
 *
 * @param ctx The invocation.
 * @param countRecords Whether the listing counts the track records of runs
 *   without run_end (only `runs` shows them); used on the first call.
 * @returns The catalogue.
 */
export function catalog(ctx: Context, countRecords = false): RunCatalog {
  let c = catalogs.get(ctx);
  if (c === undefined) {
    c = new RunCatalog({ ...readOptions(ctx), countRecords });
    catalogs.set(ctx, c);
  }
  return c;
}

const filters = new WeakMap<Context, RunFilter>();

/**
 * A time bound as an instant to the second, UTC: `2026-11-18T13:36:05Z`.
 *
 * @param ns The bound, nanoseconds since the epoch.
 * @returns The instant.
 */
export function cutoffText(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return new Date(ms).toISOString().slice(0, 19) + "Z";
}

/**
 * The run filter of an invocation (`--since`, `--until`, `--where`),
 * checked once, before anything is read. An age or a date (`--since 2w`,
 * `--since 2026-01-31`) is stated as the instant it stands for in one
 * `exprag: note:` line (tables only).
 *
 * @param ctx The invocation.
 * @returns The filter.
 * @throws {UsageError} On an invalid time or clause.
 */
export function runFilter(ctx: Context): RunFilter {
  const known = filters.get(ctx);
  if (known !== undefined) return known;
  const f: RunFilter = {};
  const cutoffs: string[] = [];
  for (const key of ["since", "until"] as const) {
    const v = ctx.options[key];
    if (typeof v !== "string") continue;
    try {
      f[key] = parseTimeBound(v); // parsed once: the queries take it as is
    } catch (e) {
      throw new UsageError(`--${key}: ${(e as Error).message}`);
    }
    if (tryParseTimestamp(v.trim()) === undefined || !/T/i.test(v)) {
      cutoffs.push(`--${key} ${v}: ${key} ${cutoffText(f[key] as bigint)}`);
    }
  }
  // an age or a date states the instant it stands for (not with --json)
  if (cutoffs.length > 0 && !ctx.json) {
    stderrLine(`exprag: note: ${cutoffs.join("; ")}`);
  }
  const where = ctx.options.where as Where[] | undefined;
  if (where && where.length > 0) {
    try {
      compileWhere(where); // kept: the catalogue does not check them again
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(`--where: ${e.message}`);
    }
    f.where = where;
  }
  filters.set(ctx, f);
  return f;
}

/**
 * Runs a reading call, adding to a "no run matches" error how runs are
 * named, or that there is no runs directory here.
 *
 * @param ctx The invocation.
 * @param f The call.
 * @returns Its result.
 * @throws {NotFoundError} For an unknown or ambiguous run reference.
 */
export async function withRefNote<T>(
  ctx: Context,
  f: () => Promise<T> | T,
): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof RunRefError)) throw e;
    const note = missingDirNote(ctx) ??
      (e.reason === "not_found"
        ? "runs are named by full id, unique id prefix, latest or latest~N: see exprag runs"
        : undefined);
    if (note === undefined) throw e;
    throw new NotFoundError(`${e.message}; ${note}`, e.candidates);
  }
}

/**
 * Resolves a run reference against the invocation's catalogue.
 *
 * @param ctx The invocation.
 * @param ref The reference (id, prefix, latest, latest~N).
 * @returns The run.
 * @throws {UsageError} For an invalid reference.
 * @throws {NotFoundError} When no run or several match (with a note).
 */
export function resolveRef(ctx: Context, ref: string): Promise<RunInfo> {
  return withRefNote(ctx, () => catalog(ctx).resolveLoaded(ref));
}

/**
 * Reads a `--status` value: `any`, or a comma-separated list of run states.
 *
 * @param v The flag's value.
 * @param command The command (for the usage error's hint).
 * @returns `any` or the states.
 * @throws {UsageError} For an unknown state.
 */
export function statusFlag(v: string, command: string): "any" | RunState[] {
  if (v === "any") return "any";
  const states = v.split(",").map((s) => s.trim());
  const bad = states.filter((s) => !(RUN_STATES as string[]).includes(s));
  if (bad.length > 0 || states.length === 0) {
    throw new UsageError(
      `--status: unknown status ${
        JSON.stringify(bad[0] ?? v)
      } (expected any, or a comma-separated list of ${RUN_STATES.join(", ")})`,
      command,
    );
  }
  return states as RunState[];
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
 * the raw run_start and run_end values (shown by `show`), with the tags and
 * notes written back (`{}` and `[]` when none).
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
    tags: run.tags ?? {},
    notes: run.notes ?? [],
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
  const runs = await catalog(ctx).filter(rest);
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
  const link = danglingLinkOn(runs);
  if (link !== undefined) {
    return `no runs directory ${JSON.stringify(resolve(runs))}: ${link}`;
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
 * @param countRecords Whether to count the records of runs without run_end.
 * @returns The runs, newest first.
 */
export async function listedRuns(
  ctx: Context,
  countRecords = false,
): Promise<RunInfo[]> {
  const runs = await listRuns({
    ...runFilter(ctx),
    limit: ctx.options.limit as number | undefined,
    catalog: catalog(ctx, countRecords),
  });
  runs.reverse(); // newest first
  if (runs.length === 0) {
    const note = await emptyNote(ctx);
    if (note !== undefined) stderrLine(`exprag: note: ${note}`);
  }
  return runs;
}
