/**
 * `exprag best PATH`: runs ranked by one number per run (the finished runs
 * by default when any finished), or groups of runs with `--group-by`.
 *
 * @module
 */

import { bestRuns } from "../query/mod.ts";
import { nanPaths } from "../query/diverged.ts";
import { catalog, gitFields, runJson, shortCommit } from "./common.ts";
import { metadataCells, metadataColumns } from "./metadata_columns.ts";
import type { Context } from "./context.ts";
import { isoTime, json, stderrLine, table } from "./format.ts";
import { runBestGroups } from "./best_groups.ts";
import {
  bestOptions,
  checkBestPath,
  counted,
  noRows,
  statusNote,
} from "./best_status.ts";

/**
 * Runs `best`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  if (ctx.options["group-by"] !== undefined) return await runBestGroups(ctx);
  const path = ctx.args[0];
  const options = bestOptions(ctx);
  await checkBestPath(ctx, ctx.args[0]);
  const result = await bestRuns(path, {
    ...options,
    top: (ctx.options.top as number | undefined) ?? 1,
    catalog: catalog(ctx),
  });
  const note = statusNote(result, options.status);
  // --json carries the note as a field: stderr stays for problems
  if (result.rows.length === 0) await noRows(ctx, result, options.status);
  if (note !== undefined && !ctx.json) stderrLine(`exprag: note: ${note}`);
  const nan = result.rows.map((r) => ({ r, paths: nanPaths(r.run) }))
    .filter((x) => x.paths.length > 0);
  if (nan.length > 0 && !ctx.json) {
    // a diverged run can still rank high on another path
    stderrLine(
      `exprag: note: ${
        nan.map((x) =>
          `rank ${x.r.rank} (run ${x.r.run.id}) recorded NaN at ${
            x.paths.slice(0, 3).join(", ")
          }`
        ).join("; ")
      }: diverged?`,
    );
  }
  if (ctx.json) {
    json(ctx.out, {
      path: result.path,
      direction: result.direction,
      by: result.by,
      considered: result.considered,
      missing: result.missing,
      left_out: result.left_out,
      note: note ?? null,
      rows: result.rows.map((r) => ({
        rank: r.rank,
        value: r.value,
        count: r.count,
        source: r.source,
        nan_paths: nanPaths(r.run),
        run: runJson(counted(ctx, r.run)),
      })),
    });
    return 0;
  }
  const meta = metadataColumns(result.rows.map((r) => r.run));
  table(
    ctx.out,
    [
      "rank",
      "id",
      "name",
      "status",
      "path",
      "by",
      "direction",
      "value",
      "count",
      "started",
      "commit",
      "dirty",
      ...meta,
    ],
    result.rows.map((r) => [
      r.rank,
      r.run.id,
      r.run.name,
      r.run.status,
      result.path,
      result.by,
      result.direction,
      r.value,
      r.count,
      isoTime(r.run.started_at),
      shortCommit(gitFields(r.run).commit),
      gitFields(r.run).dirty,
      ...metadataCells(r.run, meta),
    ]),
    { paths: ["path"] },
  );
  return 0;
}
