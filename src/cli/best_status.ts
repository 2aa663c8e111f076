/**
 * What `best` ranks: the status choice (`--status`, the finished runs by
 * default when any finished), its one-line note, the ranking options of an
 * invocation and the error of an empty ranking.
 *
 * @module
 */

import type {
  BestOptions,
  BestResult,
  Reducer,
  RunInfo,
} from "../query/mod.ts";
import { catalog, emptyNote, runFilter, statusFlag } from "./common.ts";
import type { Context } from "./context.ts";
import { NotFoundError, UsageError } from "../errors.ts";
import { trackPathKey } from "../query/get_path.ts";
import { suggestPaths } from "./suggest.ts";

/**
 * The status choice of an invocation: `--status any`, `--status
 * STATE[,STATE...]`, or `auto` without the flag.
 */
function statusOption(ctx: Context): BestOptions["status"] {
  const v = ctx.options.status as string | undefined;
  return v === undefined ? "auto" : statusFlag(v, "best");
}

/**
 * The one-line note on which runs were ranked: the statuses left out and
 * the flag that includes them, or that no run has a run_end.
 *
 * @param result The ranking's counts.
 * @param status The status choice.
 * @returns The note, or `undefined` when nothing needs saying.
 */
export function statusNote(
  result: Omit<BestResult, "rows">,
  status: BestOptions["status"],
): string | undefined {
  const out = Object.entries(result.left_out);
  const s = (n: number) => n === 1 ? "" : "s";
  if (out.length > 0) {
    const what = Array.isArray(status) ? status.join("/") : "finished";
    return `ranked the ${result.considered} ${what} run${
      s(result.considered)
    }; left out ${
      out.map(([k, n]) => `${n} ${k}`).join(", ")
    } (include them with --status any)`;
  }
  if (status !== "auto" || result.considered === result.finished) {
    return undefined; // nothing left out, or every run ranked finished
  }
  if (result.ended === 0) {
    return `no run has a run_end (e.g. Python exprag files): ranked all ${result.considered} run${
      s(result.considered)
    }, whatever their status`;
  }
  return `no run finished: ranked all ${result.considered} run${
    s(result.considered)
  } (running, crashed, failed, interrupted or unknown)`;
}

/**
 * The ranking options of an invocation: filters, direction, reducer, status.
 *
 * @param ctx The invocation.
 * @returns The options for the reading API.
 */
export function bestOptions(ctx: Context): BestOptions {
  return {
    ...runFilter(ctx),
    direction: ctx.options.min === true ? "min" : "max",
    by: (ctx.options.by as Reducer | undefined) ?? "last",
    status: statusOption(ctx),
  };
}

/**
 * Throws the error of an empty ranking: why no run is listed.
 *
 * @param ctx The invocation.
 * @param result The ranking's counts.
 * @returns Never.
 * @throws {NotFoundError} Always.
 */
export async function noRows(
  ctx: Context,
  result: Omit<BestResult, "rows">,
  status: BestOptions["status"],
): Promise<never> {
  const note = result.considered === 0 &&
      Object.keys(result.left_out).length === 0
    ? await emptyNote(ctx)
    : undefined;
  if (note !== undefined) throw new NotFoundError(note);
  const why = statusNote(result, status);
  const near = await suggestPaths(ctx, result.path, { numeric: true });
  throw new NotFoundError(
    `no run has a numeric value at ${result.path} (${result.considered} run${
      result.considered === 1 ? "" : "s"
    } considered${why === undefined ? "" : `: ${why}`}); ${
      near.length > 0 ? `did you mean ${near.join(" or ")}? ` : ""
    }see exprag paths --numeric`,
  );
}

/**
 * Checks the path of `best`: a path not below `value` that ends a recorded
 * numeric path (`acc` for `value.metrics.acc`) gets it suggested, as
 * `values` does.
 *
 * @param ctx The invocation.
 * @param path The path given.
 * @throws {NotFoundError} With the suggestion, when there is one.
 * @throws {UsageError} For another invalid path.
 */
export async function checkBestPath(ctx: Context, path: string): Promise<void> {
  try {
    trackPathKey(path);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    let near: string[] = [];
    try {
      near = await suggestPaths(ctx, path, { numeric: true });
    } catch {
      throw e; // malformed: the usage error says why
    }
    if (near.length === 0) throw e;
    throw new NotFoundError(
      `no values at ${JSON.stringify(path)}; did you mean ${
        near.join(" or ")
      }? see exprag paths --numeric`,
    );
  }
}

/**
 * A ranked run with its track records counted (the listing of `best` does
 * not count them, to read no file it does not need): read again when
 * the count is missing (runs without run_end).
 *
 * @param ctx The invocation.
 * @param run The run.
 * @returns The run, with `records` filled when its file can be read.
 */
export function counted(ctx: Context, run: RunInfo): RunInfo {
  if (run.records !== null) return run;
  try {
    return catalog(ctx).resolve(run.id);
  } catch {
    return run; // e.g. the id of several files: keep the listing's
  }
}
