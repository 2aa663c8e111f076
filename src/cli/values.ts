/**
 * `exprag values PATH`: every value at a path, with its source line.
 *
 * @module
 */

import { discoverPaths, selectValues } from "../query/mod.ts";
import { canonicalPath } from "../value_path.ts";
import { catalog, missingDirNote, withRefNote } from "./common.ts";
import type { Context } from "./context.ts";
import { isoTime, json, table } from "./format.ts";
import { NotFoundError } from "../errors.ts";

/**
 * The recorded paths a mistyped path probably meant: those ending in it
 * (`acc` → `value.metrics.acc`, `metrics.loss` → `value.metrics.loss`).
 */
async function suggestions(ctx: Context, path: string): Promise<string[]> {
  const tail = "." + canonicalPath(path); // checked by the first pass
  const known = await discoverPaths({
    run: ctx.options.run as string | undefined,
    catalog: catalog(ctx), // problems already reported are not repeated
  });
  const out = new Set<string>();
  for (const p of known) {
    // a leaf path ending in PATH, or an object path (value.metrics) above one
    const at = (p.path + ".").indexOf(tail + ".");
    if (at >= 0) out.add(p.path.slice(0, at + tail.length));
  }
  return [...out].slice(0, 3);
}

/**
 * Runs `values`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const rows = await withRefNote(ctx, () =>
    selectValues(ctx.args[0], {
      run: ctx.options.run as string | undefined,
      limit: ctx.options.limit as number | undefined,
      catalog: catalog(ctx),
    }));
  if (rows.length === 0) {
    // user text in a one-line error: plain when safe, else JSON-quoted
    const q = (s: string) => /^[\w.\[\]~-]+$/.test(s) ? s : JSON.stringify(s);
    const dirNote = missingDirNote(ctx);
    if (dirNote !== undefined) throw new NotFoundError(dirNote);
    const run = ctx.options.run as string | undefined;
    const near = await suggestions(ctx, ctx.args[0]);
    throw new NotFoundError(
      `no values at ${q(ctx.args[0])}${
        run === undefined ? "" : ` in run ${q(run)}`
      }; ${
        near.length > 0
          ? `did you mean ${near.join(" or ")}?`
          : /^value\./.test(ctx.args[0])
          ? "no run recorded it:"
          : "track value paths start with value., e.g. value.metrics.loss:"
      } see exprag paths${run === undefined ? "" : ` --run ${q(run)}`}`,
    );
  }
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
