/**
 * `exprag best PATH --group-by METADATA_PATH`: one row per group of runs
 * with n, mean, std, min, max of their values and the group's best run.
 *
 * @module
 */

import { bestGroups } from "../query/best_groups.ts";
import {
  bestOptions,
  checkBestPath,
  counted,
  noRows,
  statusNote,
} from "./best_status.ts";
import { catalog, runJson } from "./common.ts";
import type { Context } from "./context.ts";
import { json, stderrLine, table } from "./format.ts";

/**
 * Runs `best --group-by`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function runBestGroups(ctx: Context): Promise<number> {
  const groupBy = ctx.options["group-by"] as string[];
  const options = bestOptions(ctx);
  await checkBestPath(ctx, ctx.args[0]);
  const result = await bestGroups(ctx.args[0], groupBy, {
    ...options,
    catalog: catalog(ctx),
  });
  const note = statusNote(result, options.status);
  // --json carries the note as a field: stderr stays for problems
  if (result.groups.length === 0) {
    await noRows(ctx, result, options.status);
  }
  if (note !== undefined && !ctx.json) stderrLine(`exprag: note: ${note}`);
  if (result.varying.length > 0 && !ctx.json) {
    // a group's mean would otherwise look like the effect of its key alone
    stderrLine(
      `exprag: note: within groups, also varying: ${result.varying.join(", ")}`,
    );
  }
  const nan = result.groups.filter((g) => g.diverged.length > 0);
  if (nan.length > 0 && !ctx.json) {
    // a group's mean would otherwise include a diverged run unremarked
    stderrLine(
      `exprag: note: ${
        nan.map((g) =>
          `group ${
            groupBy.map((p) => `${p}=${JSON.stringify(g.key[p])}`).join(" ")
          } holds ${g.diverged.length} run${
            g.diverged.length === 1 ? "" : "s"
          } that recorded NaN (${g.diverged.join(", ")})`
        ).join("; ")
      }: diverged?`,
    );
  }
  const { groups, ...counts } = result;
  if (ctx.json) {
    json(ctx.out, {
      ...counts,
      note: note ?? null,
      groups: groups.map((g) => ({
        ...g,
        best: {
          rank: g.best.rank,
          value: g.best.value,
          count: g.best.count,
          source: g.best.source,
          run: runJson(counted(ctx, g.best.run)),
        },
      })),
    });
    return 0;
  }
  table(
    ctx.out,
    [
      ...groupBy,
      "n",
      "mean",
      "std",
      "min",
      "max",
      "best_id",
      "best_value",
      "path",
      "by",
      "direction",
    ],
    groups.map((g) => [
      ...groupBy.map((p) => g.key[p]),
      g.n,
      g.mean,
      g.std,
      g.min,
      g.max,
      g.best.run.id,
      g.best.value,
      result.path,
      result.by,
      result.direction,
    ]),
  );
  return 0;
}
