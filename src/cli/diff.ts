/**
 * `exprag diff RUN_A RUN_B [--stat]`: the code difference between two
 * runs' commits, leaving out the exprag directory.
 *
 * @module
 */

import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { json, stderrLine } from "./format.ts";
import {
  git,
  gitFailure,
  pathspecsExcluding,
  runCode,
  toplevel,
} from "./gitsafe.ts";

/**
 * Runs `diff`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const a = await resolveRef(ctx, ctx.args[0]);
  const b = await resolveRef(ctx, ctx.args[1]);
  const top = toplevel();
  const ca = runCode(a);
  const cb = runCode(b);
  const stat = ctx.options.stat === true;
  const args = ["diff", "--no-color", "--no-ext-diff", "--no-textconv"];
  if (stat) args.push("--stat");
  // Both revisions are full hashes from rev-parse --verify; never options.
  args.push(
    "--end-of-options",
    ca.sha,
    cb.sha,
    "--",
    ...pathspecsExcluding(ctx.dir, top),
  );
  const r = git(args);
  if (r.code !== 0) throw gitFailure("git diff", r);
  for (const c of ca.run === cb.run ? [ca] : [ca, cb]) {
    if (c.uncaptured === null) continue;
    stderrLine(
      `exprag: note: run ${c.run} was dirty but its uncommitted edits were not captured (${c.uncaptured}): its side of the diff is only its base commit`,
    );
  }
  if (ctx.json) {
    json(ctx.out, {
      a: { id: a.id, commit: ca.sha },
      b: { id: b.id, commit: cb.sha },
      stat,
      command: `git diff${stat ? " --stat" : ""} ${ca.sha} ${cb.sha}`,
      diff: r.stdout,
    });
  } else {
    ctx.out.write(r.stdout);
  }
  return 0;
}
