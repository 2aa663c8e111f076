/**
 * `exprag runs`: one row per run, newest first.
 *
 * @module
 */

import { listRuns } from "../query/mod.ts";
import {
  emptyNote,
  gitFields,
  query,
  readOptions,
  runFilter,
  runJson,
  runTimes,
  shortCommit,
} from "./common.ts";
import type { Context } from "./context.ts";
import { json, stderrLine, table } from "./format.ts";

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
 * Runs `runs`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
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
  if (ctx.json) {
    json(ctx.out, runs.map(runJson));
    return 0;
  }
  table(
    ctx.out,
    RUNS_HEADER,
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
      ];
    }),
  );
  return 0;
}
