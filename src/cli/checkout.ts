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
import { escapeText, json, shellQuote, table } from "./format.ts";
import {
  git,
  gitFailure,
  pathspecsExcluding,
  type RunCode,
  runCode,
  toplevel,
} from "./gitsafe.ts";
import { RefusedError } from "../errors.ts";
import { ignoredCollisions } from "./checkout_guard.ts";

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

function intoWorktree(ctx: Context, code: RunCode, worktree: string): number {
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
  report(ctx, code, {
    worktree,
    checked_out: `detached ${code.sha}`,
    remove_with: `git worktree remove ${shellQuote(worktree)}`,
  });
  return 0;
}

function checkClean(code: RunCode, specs: string[]): void {
  const status = git([
    "status",
    "--porcelain",
    "-z",
    "--untracked-files=normal",
    "--",
    ...specs,
  ]);
  if (status.code !== 0) throw gitFailure("git status", status);
  const changed = status.stdout.split("\0").filter((l) => l !== "");
  if (changed.length > 0) {
    const example = changed[0].slice(3);
    throw new RefusedError(
      `refusing to check out run ${code.run}: the worktree has uncommitted changes (${changed.length} path${
        changed.length === 1 ? "" : "s"
      }, e.g. ${example}); commit or stash them, or use --worktree DIR to restore the run into a new worktree`,
      changed.map((l) => l.slice(3)),
    );
  }
  const ignored = ignoredCollisions(code.sha, specs);
  if (ignored.length > 0) {
    const shown = ignored.slice(0, 5).map(escapeText).join(", ");
    throw new RefusedError(
      `refusing to check out run ${code.run} in place: it would overwrite ${ignored.length} ignored file${
        ignored.length === 1 ? "" : "s"
      } that the current commit does not track (${shown}${
        ignored.length > 5 ? ", ..." : ""
      }), and going back would delete ${
        ignored.length === 1 ? "it" : "them"
      }; move ${
        ignored.length === 1 ? "it" : "them"
      } away, or use --worktree DIR to restore the run into a new worktree`,
      ignored,
    );
  }
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
  const worktree = ctx.options.worktree as string | undefined;
  if (worktree !== undefined) return intoWorktree(ctx, code, worktree);

  checkClean(code, pathspecsExcluding(ctx.dir, top));
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
  report(ctx, code, {
    worktree: top,
    checked_out: code.branch !== null
      ? `branch ${code.branch}`
      : `detached ${code.sha}`,
    previous: previous || null,
    return_with: previous ? `git checkout ${shellQuote(previous)}` : null,
  });
  return 0;
}
