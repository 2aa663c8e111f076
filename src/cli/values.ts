/**
 * `exprag values PATH`: every value at a path, with its source line.
 *
 * @module
 */

import { selectValues } from "../query/mod.ts";
import { query, readOptions } from "./common.ts";
import type { Context } from "./context.ts";
import { isoTime, json, table } from "./format.ts";

/**
 * Runs `values`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const rows = await query(() =>
    selectValues(ctx.args[0], {
      ...readOptions(ctx),
      run: ctx.options.run as string | undefined,
      limit: ctx.options.limit as number | undefined,
    })
  );
  if (ctx.json) {
    json(ctx.out, rows.map((r) => ({ ...r, source: `${r.file}:${r.line}` })));
    return 0;
  }
  table(
    ctx.out,
    ["run", "time", "elapsed_ms", "value", "note", "source"],
    rows.map((
      r,
    ) => [
      r.run_id,
      isoTime(r.created_at),
      r.elapsed_ms,
      r.value,
      r.note,
      `${r.file}:${r.line}`,
    ]),
  );
  return 0;
}
