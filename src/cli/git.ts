/**
 * `exprag git`: the code-state table, from the records only.
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
    ],
    runs.map((r) => {
      const g = gitFields(r);
      // a snapshot under the fallback ref (branch namespace blocked): show the ref
      const ref = (r.git as Record<string, unknown> | null)?.ref;
      const branch = g.branch ?? (typeof ref === "string" ? ref : null);
      return [
        r.id,
        r.name,
        isoTime(r.started_at),
        g.commit,
        branch,
        g.dirty,
        g.base,
        g.head_branch,
      ];
    }),
  );
  return 0;
}
