/**
 * `exprag checkout RUN [--worktree DIR] [--base-only]`: restores a run's
 * exact code.
 *
 * With `--worktree DIR`, `git worktree add --detach DIR <commit>`: the
 * user's checkout is untouched. Without it, only when the worktree is clean
 * (outside the exprag directory) and no ignored file lies where the run's
 * code has a file that the current commit lacks (git would overwrite it
 * silently, and going back would delete it): the run's own snapshot branch
 * `run/<id>` when it still points at the recorded commit, else the commit,
 * detached.
 *
 * A dirty run whose edits were not captured (no snapshot) is refused: its
 * commit is only the base it started from. `--base-only` checks out that
 * base anyway, saying so.
 *
 * @module
 */

import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { escapeText, json, shellQuote, stderrLine, table } from "./format.ts";
import {
  git,
  gitFailure,
  pathspecsExcluding,
  type RunCode,
  runCode,
  toplevel,
} from "./gitsafe.ts";
import { RefusedError } from "../errors.ts";
import { checkClean } from "./checkout_guard.ts";
import {
  checkoutSubmodules,
  checkSubmodulesClean,
  type SubmoduleTarget,
  submoduleTargets,
  submoduleWorktrees,
  toMove,
} from "./checkout_submodules.ts";

function report(
  ctx: Context,
  code: RunCode,
  fields: Record<string, string | null>,
): void {
  for (const s of code.uncapturedSubmodules) {
    stderrLine(
      `exprag: note: run ${code.run}: the edits in submodule ${s} were not captured: it is restored without them`,
    );
  }
  const all: Record<string, unknown> = {
    run: code.run,
    commit: code.sha,
    branch: code.branch,
    ...(code.ref === null ? {} : { ref: code.ref }),
    dirty: code.dirty,
    base: code.base,
    ...(code.uncaptured === null ? {} : {
      captured: false,
      note: `the run's uncommitted edits were not captured (${
        escapeText(code.uncaptured)
      }); this is only its base commit`,
    }),
    ...fields,
  };
  if (ctx.json) json(ctx.out, all);
  else table(ctx.out, ["field", "value"], Object.entries(all));
}

function checkCaptured(ctx: Context, code: RunCode): void {
  if (code.uncaptured === null || ctx.options["base-only"] === true) return;
  throw new RefusedError(
    `run ${code.run} was dirty but its uncommitted edits were not captured (${
      escapeText(code.uncaptured)
    }): its recorded commit ${code.sha} is only the base it started from, not its code; pass --base-only to check out that base anyway`,
  );
}

function intoWorktree(
  ctx: Context,
  code: RunCode,
  o: { worktree: string; subs: SubmoduleTarget[] },
): number {
  const { worktree } = o;
  const r = git([
    "worktree",
    "add",
    "--detach",
    "--end-of-options",
    worktree,
    code.sha,
  ]);
  if (r.code !== 0) {
    throw gitFailure(`git worktree add ${escapeText(worktree)}`, r);
  }
  const removeSubs = submoduleWorktrees(worktree, o.subs);
  report(ctx, code, {
    worktree,
    checked_out: `detached ${code.sha}`,
    ...submoduleFields(o.subs),
    remove_with: [
      ...removeSubs,
      `git worktree remove ${shellQuote(worktree)}`,
    ].join(" && "),
  });
  return 0;
}

/** The report's field for restored submodules (none when there are none). */
function submoduleFields(
  subs: readonly SubmoduleTarget[],
): Record<string, string> {
  if (subs.length === 0) return {};
  return {
    submodules: subs.map((s) => `${escapeText(s.path)} ${s.sha}`).join(", "),
  };
}

/**
 * Runs `checkout`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const target = await resolveRef(ctx, ctx.args[0]);
  const top = toplevel();
  const code = runCode(target);
  checkCaptured(ctx, code);
  const subs = submoduleTargets(top, code);
  const worktree = ctx.options.worktree as string | undefined;
  if (worktree !== undefined) {
    return intoWorktree(ctx, code, { worktree, subs });
  }

  checkClean(code.run, code.sha, { specs: pathspecsExcluding(ctx.dir, top) });
  const moving = toMove(subs);
  checkSubmodulesClean(code.run, moving);
  const head = git(["symbolic-ref", "--short", "-q", "HEAD"]);
  const previous = head.code === 0
    ? head.stdout.trim()
    : git(["rev-parse", "--verify", "-q", "HEAD"]).stdout.trim();
  // code.branch is exactly `run/<validated id>`, checked by check-ref-format and
  // pointing at code.sha; `--` makes git read it as a branch, never a path.
  const args = code.branch !== null
    ? ["checkout", "-q", code.branch, "--"]
    : ["checkout", "-q", "--detach", code.sha, "--"];
  const r = git(args);
  if (r.code !== 0) throw gitFailure("git checkout", r);
  const backSubs = checkoutSubmodules(moving);
  report(ctx, code, {
    worktree: top,
    checked_out: code.branch !== null
      ? `branch ${code.branch}`
      : `detached ${code.sha}`,
    ...submoduleFields(moving),
    previous: previous || null,
    return_with: previous
      ? [`git checkout ${shellQuote(previous)}`, ...backSubs].join(" && ")
      : null,
  });
  return 0;
}
