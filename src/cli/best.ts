/**
 * `exprag best PATH`: runs ranked by one number per run.
 *
 * @module
 */

import { bestRuns } from "../query/mod.ts";
import type { Reducer } from "../query/mod.ts";
import { catalog, emptyNote, runFilter, runJson } from "./common.ts";
import type { Context } from "./context.ts";
import { isoTime, json, table } from "./format.ts";
import { NotFoundError } from "../errors.ts";

/**
 * Runs `best`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const path = ctx.args[0];
  const direction = ctx.options.min === true ? "min" : "max";
  const by = (ctx.options.by as Reducer | undefined) ?? "last";
  const result = await bestRuns(path, {
    ...runFilter(ctx),
    direction,
    by,
    top: (ctx.options.top as number | undefined) ?? 1,
    catalog: catalog(ctx),
  });
  if (result.rows.length === 0) {
    const note = result.considered === 0 ? await emptyNote(ctx) : undefined;
    throw new NotFoundError(
      note ??
        `no run has a numeric value at ${result.path} (${result.considered} run${
          result.considered === 1 ? "" : "s"
        } considered; see exprag paths --numeric)`,
    );
  }
  if (ctx.json) {
    json(ctx.out, {
      path: result.path,
      direction: result.direction,
      by: result.by,
      considered: result.considered,
      missing: result.missing,
      rows: result.rows.map((r) => ({
        rank: r.rank,
        value: r.value,
        count: r.count,
        source: r.source,
        run: runJson(r.run),
      })),
    });
    return 0;
  }
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
      "metadata",
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
      r.run.metadata ?? null,
    ]),
    { paths: ["path"] },
  );
  return 0;
}
