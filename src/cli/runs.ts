/**
 * `exprag runs`: one row per run, newest first.
 *
 * @module
 */

import {
  gitFields,
  listedRuns,
  runJson,
  runTimes,
  shortCommit,
} from "./common.ts";
import type { Context } from "./context.ts";
import type { RunInfo } from "../query/mod.ts";
import { json, table } from "./format.ts";

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

/**
 * The columns of what was written back, shown only when some run has it:
 * `tags` (key → value as JSON) and `notes` (how many).
 *
 * @param runs The runs listed.
 * @returns The header names and each run's cells.
 */
function writtenBack(runs: readonly RunInfo[]): {
  header: string[];
  cells: (r: RunInfo) => unknown[];
} {
  const tags = runs.some((r) => Object.keys(r.tags ?? {}).length > 0);
  const notes = runs.some((r) => (r.notes ?? []).length > 0);
  return {
    header: [...(tags ? ["tags"] : []), ...(notes ? ["notes"] : [])],
    cells: (r) => [
      ...(tags ? [r.tags ?? {}] : []),
      ...(notes ? [r.notes?.length ?? 0] : []),
    ],
  };
}

/**
 * Runs `runs`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const runs = await listedRuns(ctx, true);
  if (ctx.json) {
    json(ctx.out, runs.map(runJson));
    return 0;
  }
  const back = writtenBack(runs);
  table(
    ctx.out,
    [...RUNS_HEADER, ...back.header],
    runs.map((r) => {
      const t = runTimes(r);
      const g = gitFields(r);
      return [
        r.id,
        r.name,
        r.status,
        t.started,
        t.last,
        t.duration_s,
        r.records,
        shortCommit(g.commit),
        g.branch,
        g.dirty,
        r.metadata ?? null,
        ...back.cells(r),
      ];
    }),
  );
  return 0;
}
