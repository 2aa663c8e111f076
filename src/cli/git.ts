/**
 * `exprag git`: the code-state table, from the records only. `branch` is
 * the recorded `git.branch`, as in `exprag runs` and `exprag checkout`
 * (null for a snapshot stored under the fallback ref); a `ref` column
 * shows that ref when some run listed recorded one.
 *
 * @module
 */

import { gitFields, listedRuns } from "./common.ts";
import type { Context } from "./context.ts";
import { isoTime, json, table } from "./format.ts";

/**
 * Runs `git`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const runs = await listedRuns(ctx);
  if (ctx.json) {
    json(
      ctx.out,
      runs.map((r) => ({
        id: r.id,
        name: r.name,
        started_at: r.started_at,
        git: r.git,
      })),
    );
    return 0;
  }
  const refs = runs.map((r) => {
    const ref = (r.git as Record<string, unknown> | null)?.ref;
    return typeof ref === "string" ? ref : null;
  });
  const withRef = refs.some((r) => r !== null);
  table(
    ctx.out,
    [
      "id",
      "name",
      "started",
      "commit",
      "branch",
      "dirty",
      "base",
      "head_branch",
      ...(withRef ? ["ref"] : []),
    ],
    runs.map((r, i) => {
      const g = gitFields(r);
      return [
        r.id,
        r.name,
        isoTime(r.started_at),
        g.commit,
        g.branch,
        g.dirty,
        g.base,
        g.head_branch,
        ...(withRef ? [refs[i]] : []),
      ];
    }),
  );
  return 0;
}
