/**
 * "Did you mean": the recorded paths a mistyped value path probably meant,
 * the same for every command (`values acc`, `best acc`,
 * `values value.metric.loss`).
 *
 * @module
 */

import { discoverPaths, RunCatalog } from "../query/mod.ts";
import { canonicalPath, formatPath, parsePath } from "../value_path.ts";
import type { Context } from "./context.ts";
import { editDistance } from "../edit_distance.ts";

/** Whether two parsed paths differ by small typos in their keys only. */
function nearPath(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  let edits = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] !== "string" || typeof b[i] !== "string") return false;
    const d = editDistance(a[i] as string, b[i] as string);
    if (d > Math.max(1, Math.floor((a[i] as string).length / 4))) return false;
    edits += d;
  }
  return edits > 0 && edits <= 2;
}

/**
 * The recorded paths a path probably meant: those ending in it (`acc` →
 * `value.metrics.acc`, `metrics.loss` → `value.metrics.loss`), else those
 * one or two typos away (`value.metric.loss` → `value.metrics.loss`).
 *
 * @param ctx The invocation (its `--run` narrows the runs looked at).
 * @param path The path given (already checked to parse).
 * @param options `numeric`: only numeric paths (for `best`).
 * @returns At most three paths.
 */
export async function suggestPaths(
  ctx: Context,
  path: string,
  options: { numeric?: boolean } = {},
): Promise<string[]> {
  const given = canonicalPath(path);
  const tail = "." + given;
  // a second look, for the error message only: its problems are not the answer's
  const quiet = new RunCatalog({ dir: ctx.dir, onProblem: () => {} });
  const known = await discoverPaths({
    run: ctx.options.run as string | undefined,
    numeric: options.numeric,
    catalog: quiet,
  });
  const out = new Set<string>();
  for (const p of known) {
    // a leaf path ending in PATH, or an object path (value.metrics) above one
    const at = (p.path + ".").indexOf(tail + ".");
    if (at >= 0) out.add(p.path.slice(0, at + tail.length));
  }
  if (out.size === 0) {
    const segs = parsePath(given);
    for (const p of known) {
      // a leaf path, or the object path above one, a typo or two away
      const above = parsePath(p.path).slice(0, segs.length);
      if (nearPath(segs, above)) out.add(formatPath(above));
    }
  }
  return [...out].slice(0, 3);
}
