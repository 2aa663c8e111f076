/**
 * `exprag runs`: one row per run, newest first; the value of each
 * `--where` path as a column, or the columns `--columns` picks.
 *
 * @module
 */

import {
  catalog,
  gitFields,
  listedRuns,
  runJson,
  runTimes,
  shortCommit,
} from "./common.ts";
import type { Context } from "./context.ts";
import type { RunInfo } from "../query/mod.ts";
import { columnReader } from "../query/columns.ts";
import { json, table } from "./format.ts";
import { metadataColumns } from "./metadata_columns.ts";
import type { Where } from "./parse.ts";

/** The columns of the runs table. */
export const RUNS_HEADER: readonly string[] = [
  "id",
  "name",
  "status",
  "started",
  "last",
  "duration_s",
  "records",
  "commit",
  "branch",
  "dirty",
  "metadata",
];

/** The cells of the standard columns of one run, by column name. */
function standardCells(r: RunInfo): Record<string, unknown> {
  const t = runTimes(r);
  const g = gitFields(r);
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    started: t.started,
    last: t.last,
    duration_s: t.duration_s,
    records: r.records,
    commit: shortCommit(g.commit),
    branch: g.branch,
    dirty: g.dirty,
    metadata: r.metadata ?? null,
  };
}

/**
 * The columns of what was written back, shown only when some run has it:
 * `tags` (key → value as JSON) and `notes` (how many).
 *
 * @param runs The runs listed.
 * @returns The header names.
 */
function writtenBack(runs: readonly RunInfo[]): string[] {
  const tags = runs.some((r) => Object.keys(r.tags ?? {}).length > 0);
  const notes = runs.some((r) => (r.notes ?? []).length > 0);
  return [...(tags ? ["tags"] : []), ...(notes ? ["notes"] : [])];
}

/**
 * The columns of an invocation: those `--columns` picks, else the standard
 * ones (metadata as {@linkcode metadataColumns} says), the value of each
 * `--where` path that is not one of them, and the written-back ones.
 */
function columnsOf(ctx: Context, runs: readonly RunInfo[]): string[] {
  const picked = ctx.options.columns as string | undefined;
  if (picked !== undefined) {
    return picked.split(",").map((c) => c.trim()).filter((c) => c !== "");
  }
  const where = (ctx.options.where as Where[] | undefined) ?? [];
  const back = writtenBack(runs);
  const standard = RUNS_HEADER.filter((c) => c !== "metadata");
  const extra = where.map((w) => w.path).filter((p) =>
    !standard.includes(p) && !back.includes(p)
  );
  const meta = (ctx.json ? ["metadata"] : metadataColumns(runs)).filter((
    p,
  ) => !extra.includes(p));
  return [...standard, ...meta, ...new Set(extra), ...back];
}

/**
 * Runs `runs`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const runs = await listedRuns(ctx, true);
  const columns = columnsOf(ctx, runs);
  const fixed = new Set([...RUNS_HEADER, "status_reason", "tags", "notes"]);
  const paths = columns.filter((c) => !fixed.has(c));
  const values = await columnReader(runs, paths, { catalog: catalog(ctx) });
  if (ctx.json) {
    json(
      ctx.out,
      runs.map((r, i) =>
        paths.length === 0 ? runJson(r) : { ...runJson(r), columns: values(i) }
      ),
    );
    return 0;
  }
  // one row at a time: 100,000 runs are never 100,000 rows in memory
  table(
    ctx.out,
    columns,
    (function* () {
      for (let i = 0; i < runs.length; i++) {
        const r = runs[i];
        const cells: Record<string, unknown> = {
          ...standardCells(r),
          status_reason: r.status_reason,
          tags: r.tags ?? {},
          notes: r.notes?.length ?? 0,
          ...values(i),
        };
        yield columns.map((c) => cells[c]);
      }
    })(),
  );
  return 0;
}
