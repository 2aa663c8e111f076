/**
 * `exprag paths`: the value paths of the track records.
 *
 * @module
 */

import { discoverPaths } from "../query/mod.ts";
import { catalog, missingDirNote, withRefNote } from "./common.ts";
import type { Context } from "./context.ts";
import { json, stderrLine, table } from "./format.ts";

/**
 * Runs `paths`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const paths = await withRefNote(ctx, () =>
    discoverPaths({
      run: ctx.options.run as string | undefined,
      contains: ctx.options.contains as string | undefined,
      numeric: ctx.options.numeric === true ? true : undefined,
      catalog: catalog(ctx),
    }));
  if (paths.length === 0) {
    const note = missingDirNote(ctx);
    if (note !== undefined) stderrLine(`exprag: note: ${note}`);
  }
  if (ctx.json) {
    json(ctx.out, paths);
    return 0;
  }
  table(
    ctx.out,
    ["path", "numeric", "types", "count", "runs", "examples"],
    paths.map((
      p,
    ) => [p.path, p.numeric, p.types.join(","), p.count, p.runs, p.examples]),
    { paths: ["path"] },
  );
  return 0;
}
