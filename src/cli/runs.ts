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
