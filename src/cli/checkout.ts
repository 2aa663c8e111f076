/**
 * `exprag checkout RUN [--worktree DIR]`: restores a run's exact code.
 *
 * With `--worktree DIR`, `git worktree add --detach DIR <commit>`: the
 * user's checkout is untouched. Without it, only when the worktree is clean
 * (outside the exprag directory): the run's own snapshot branch `run/<id>`
 * when it still points at the recorded commit, else the commit, detached.
 *
 * @module
 */

import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { CliError, escapeText, json, table } from "./format.ts";
import {
  git,
  gitFailure,
  pathspecsExcluding,
  type RunCode,
  runCode,
  toplevel,
} from "./gitsafe.ts";

function report(
  ctx: Context,
  code: RunCode,
  fields: Record<string, string | null>,
): void {
  const all: Record<string, unknown> = {
    run: code.run,
    commit: code.sha,
    branch: code.branch,
    dirty: code.dirty,
    base: code.base,
    ...fields,
  };
  if (ctx.json) json(ctx.out, all);
  else table(ctx.out, ["field", "value"], Object.entries(all));
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
  const worktree = ctx.options.worktree as string | undefined;

  if (worktree !== undefined) {
    const r = git([
      "worktree",
      "add",
      "--detach",
      "--end-of-options",
      worktree,
      code.sha,
    ]);
    if (r.code !== 0) {
      throw new CliError(
        gitFailure(`git worktree add ${escapeText(worktree)}`, r),
      );
    }
    report(ctx, code, {
      worktree,
      checked_out: `detached ${code.sha}`,
      remove_with: `git worktree remove ${worktree}`,
    });
    return 0;
  }

  const status = git([
    "status",
    "--porcelain",
    "-z",
    "--untracked-files=normal",
    "--",
    ...pathspecsExcluding(ctx.dir, top),
  ]);
  if (status.code !== 0) throw new CliError(gitFailure("git status", status));
  const changed = status.stdout.split("\0").filter((l) => l !== "");
  if (changed.length > 0) {
    const example = changed[0].slice(3);
    throw new CliError(
      `refusing to check out run ${code.run}: the worktree has uncommitted changes (${changed.length} path${
        changed.length === 1 ? "" : "s"
      }, e.g. ${example}); commit or stash them, or use --worktree DIR to restore the run into a new worktree`,
    );
  }
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
  if (r.code !== 0) throw new CliError(gitFailure("git checkout", r));
  report(ctx, code, {
    worktree: top,
    checked_out: code.branch !== null
      ? `branch ${code.branch}`
      : `detached ${code.sha}`,
    previous: previous || null,
    return_with: previous ? `git checkout ${previous}` : null,
  });
  return 0;
}
