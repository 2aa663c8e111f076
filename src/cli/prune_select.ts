/**
 * Which runs `exprag prune` selects: `--where`, `--status`, `--older-than`
 * and `--keep-best N PATH`, all of which must hold. Selecting nothing by
 * default: without a selector (or `--orphans`) it is a usage error. Runs
 * that may be live (status `running`, or `unknown` unless `--status` names
 * it) are set apart as protected, with the reason.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { parseTimeBound, tryParseTimestamp } from "../query/mod.ts";
import type { Reducer, RunFilter, RunInfo } from "../query/mod.ts";
import { rankRuns } from "../query/best.ts";
import { catalog, cutoffText, runFilter } from "./common.ts";
import type { Context } from "./context.ts";
import { checkBestPath } from "./best_status.ts";
import { RUN_STATES } from "../query/status.ts";

/** A selected run that is not removed, and why. */
export interface Protected {
  /** The run. */
  run: RunInfo;
  /** Why it stays. */
  reason: string;
}

/** What the selectors chose. */
export interface Selection {
  /** The runs to remove, oldest first. */
  runs: RunInfo[];
  /** Selected runs that stay (running, or of unknown status). */
  protected: Protected[];
  /** One-line notes for stderr (the instant an age stands for, what --keep-best ranked). */
  notes: string[];
}

/** The selector options; `orphans` selects refs and files, not runs. */
const RUN_SELECTORS = ["where", "status", "older-than", "keep-best"] as const;

/**
 * Whether the invocation names any run selector.
 *
 * @param ctx The invocation.
 * @returns True when `--where`, `--status`, `--older-than` or `--keep-best` is given.
 */
export function selectsRuns(ctx: Context): boolean {
  return RUN_SELECTORS.some((k) => ctx.options[k] !== undefined);
}

/**
 * Checks that something is selected: never "prune everything" by accident.
 *
 * @param ctx The invocation.
 * @throws {UsageError} When no selector and no `--orphans` is given.
 */
export function checkSelectors(ctx: Context): void {
  if (selectsRuns(ctx) || ctx.options.orphans === true) return;
  throw new UsageError(
    "prune needs a selector: --where, --status, --older-than, --keep-best N PATH or --orphans (nothing is selected by default)",
    "prune",
  );
}

/** `--status`: the states listed, checked. */
function statusList(ctx: Context): string[] | undefined {
  const v = ctx.options.status as string | undefined;
  if (v === undefined) return undefined;
  const states = v.split(",").map((s) => s.trim());
  const bad = states.find((s) =>
    !(RUN_STATES as readonly string[]).includes(s)
  );
  if (bad !== undefined) {
    throw new UsageError(
      `--status: unknown status ${
        JSON.stringify(bad)
      } (expected a comma-separated list of ${RUN_STATES.join(", ")})`,
      "prune",
    );
  }
  return states;
}

/** `--older-than`: the bound, and the note stating an age's or a date's instant. */
function olderThan(
  ctx: Context,
  notes: string[],
): bigint | undefined {
  const v = ctx.options["older-than"] as string | undefined;
  if (v === undefined) return undefined;
  let bound: bigint;
  try {
    bound = parseTimeBound(v);
  } catch (e) {
    throw new UsageError(`--older-than: ${(e as Error).message}`, "prune");
  }
  if (tryParseTimestamp(v.trim()) === undefined || !/T/i.test(v)) {
    notes.push(`--older-than ${v}: started before ${cutoffText(bound)}`);
  }
  return bound;
}

/** `--keep-best N PATH`, checked. */
function keepBest(ctx: Context): { n: number; path: string } | undefined {
  const v = ctx.options["keep-best"] as string[] | undefined;
  if (v === undefined) return undefined;
  return { n: Number(v[0]), path: v[1] };
}

/** Started strictly before the bound (runs without a start time are never older). */
function startedBefore(run: RunInfo, bound: bigint): boolean {
  const t = tryParseTimestamp(run.started_at);
  return t !== undefined && t < bound;
}

/**
 * Selects the runs of an invocation (none when only `--orphans` is given).
 *
 * @param ctx The invocation.
 * @returns The runs to remove, the protected ones and notes.
 * @throws {UsageError} On an invalid selector (before anything is read).
 */
export async function selectRuns(ctx: Context): Promise<Selection> {
  const notes: string[] = [];
  const states = statusList(ctx);
  const bound = olderThan(ctx, notes);
  const best = keepBest(ctx);
  const filter: RunFilter = runFilter(ctx); // --where, checked
  if (best !== undefined) await checkBestPath(ctx, best.path);
  if (!selectsRuns(ctx)) return { runs: [], protected: [], notes };
  let runs = await catalog(ctx).filter(filter);
  if (bound !== undefined) runs = runs.filter((r) => startedBefore(r, bound));
  if (states !== undefined) {
    runs = runs.filter((r) => states.includes(r.status));
  }
  if (best !== undefined) {
    const pool = new Set(runs.map((r) => r.id));
    const ranked = await rankRuns(best.path, {
      ...filter,
      direction: ctx.options.min === true ? "min" : "max",
      by: (ctx.options.by as Reducer | undefined) ?? "last",
      status: states ?? "auto",
      catalog: catalog(ctx),
    });
    const rows = ranked.rows.filter((r) => pool.has(r.run.id));
    const outside = new Set(rows.slice(best.n).map((r) => r.run.id));
    const unranked = runs.length - rows.length;
    notes.push(
      `--keep-best ${best.n} ${best.path}: keeps the ${
        Math.min(best.n, rows.length)
      } best of ${rows.length} ranked run${rows.length === 1 ? "" : "s"}${
        unranked > 0
          ? `; ${unranked} other run${
            unranked === 1 ? "" : "s"
          } (no numeric value at the path, or not ranked by status: see exprag best) not selected`
          : ""
      }`,
    );
    runs = runs.filter((r) => outside.has(r.id));
  }
  const out: RunInfo[] = [];
  const kept: Protected[] = [];
  for (const run of runs) {
    if (run.status === "running") {
      kept.push({
        run,
        reason: `running (${run.status_reason ?? "live"}): never removed`,
      });
    } else if (run.status === "unknown" && !states?.includes("unknown")) {
      kept.push({
        run,
        reason: `status unknown (${
          run.status_reason ?? "not determinable"
        }): may still be running; select it with --status unknown`,
      });
    } else out.push(run);
  }
  return { runs: out, protected: kept, notes };
}
