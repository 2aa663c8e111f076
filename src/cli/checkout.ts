/**
 * `exprag checkout RUN [--worktree DIR] [--base-only]`: restores a run's
 * exact code.
 *
 * With `--worktree DIR`, `git worktree add --detach DIR <commit>`: the
 * user's checkout is untouched. Without it, only when no tracked file has
 * uncommitted changes (outside the exprag directory) and no file exprag did
 * not create lies where the checkout would overwrite or delete it (an
 * ignored file there git would overwrite silently, and going back would
 * delete it; untracked files elsewhere stay, as git keeps them): the run's
 * own snapshot branch `run/<id>` when it still points at the recorded
 * commit, else the commit, detached. When HEAD already is the run's commit
 * (and its submodules are in place), nothing changes: a note says so.
 *
 * The report's `branch` is the run's recorded `git.branch` (as `exprag
 * runs` and `exprag git` show it; null when invalid or not the run's own);
 * `snapshot_ref` names the ref that still holds the run's snapshot
 * (`run/<id>`, or the fallback ref), null for a clean run or a moved or
 * deleted one; `checked_out` says what was checked out.
 *
 * A dirty run whose edits were not captured (no snapshot) is refused: its
 * commit is only the base it started from. `--base-only` checks out that
 * base anyway, saying so.
 *
 * @module
 */

import { resolve } from "../path.ts";
import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { escapeText, json, shellQuote, stderrLine, table } from "./format.ts";
import {
  git,
  gitFailure,
  type GitResult,
  pathspecsExcluding,
  type RunCode,
  runCode,
  toplevel,
} from "./gitsafe.ts";
import { GitError, RefusedError } from "../errors.ts";
import { granted } from "../permissions.ts";
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
    snapshot_ref: code.snapshotBranch ?? code.ref,
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

/**
 * A failure after the checkout changed something: the same error, saying
 * what was left and how to undo it.
 */
function leftBehind(e: unknown, state: string): unknown {
  if (!(e instanceof GitError)) return e;
  return new GitError(e.attempted, `${e.gitMessage}; ${state}`);
}

/** Whether git lists `dir` among the repository's worktrees. */
function isWorktree(dir: string): boolean {
  const r = git(["worktree", "list", "--porcelain", "-z"]);
  const want = new Set([resolve(dir)]);
  if (granted({ name: "read", path: resolve(dir) })) {
    try {
      want.add(Deno.realPathSync(dir)); // git records the real path
    } catch {
      // not there
    }
  }
  return r.code === 0 &&
    r.stdout.split("\0").some((l) =>
      l.startsWith("worktree ") && want.has(l.slice("worktree ".length))
    );
}

function intoWorktree(
  ctx: Context,
  code: RunCode,
  o: { worktree: string; subs: SubmoduleTarget[] },
): number {
  const { worktree } = o;
  // a worktree already there (an earlier checkout's, maybe edited since):
  // git refuses it, and nothing of it is ours to remove
  const existed = isWorktree(worktree);
  const r = git([
    "worktree",
    "add",
    "--detach",
    "--end-of-options",
    worktree,
    code.sha,
  ]);
  const made = `git worktree remove --force ${shellQuote(worktree)}`;
  if (r.code !== 0) {
    const e = gitFailure(`git worktree add ${escapeText(worktree)}`, r);
    if (existed || !isWorktree(worktree)) throw e;
    throw leftBehind(
      e,
      `the worktree ${
        escapeText(worktree)
      } was created all the same; remove it with: ${made}`,
    );
  }
  let removeSubs: string[];
  try {
    removeSubs = submoduleWorktrees(worktree, o.subs);
  } catch (e) {
    throw leftBehind(
      e,
      `the worktree ${
        escapeText(worktree)
      } was created without its submodules; remove it with: ${made}`,
    );
  }
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

/** HEAD's commit, or "" when unborn. */
function headCommit(): string {
  return git(["rev-parse", "--verify", "-q", "HEAD"]).stdout.trim();
}

/**
 * The error for a failed in-place `git checkout`, saying whether HEAD
 * moved all the same (then the worktree may be partly the run's).
 */
function checkoutFailure(
  r: GitResult,
  o: { before: string; back: string | null },
): unknown {
  const e = gitFailure("git checkout", r);
  const now = headCommit();
  if (now === o.before) return e;
  return leftBehind(
    e,
    `HEAD moved all the same (now ${
      now || "unborn"
    }); the worktree may be only partly the run's${
      o.back === null ? "" : `; go back with: ${o.back}`
    }`,
  );
}

/**
 * HEAD already is the run's commit (and the worktree is clean): nothing to
 * check out. One note line, the report (`return_with` goes back to where
 * HEAD is: a no-op), exit 0.
 */
function alreadyThere(
  ctx: Context,
  code: RunCode,
  o: { top: string; previous: string; back: string | null },
): number {
  stderrLine(
    `exprag: note: HEAD already is run ${code.run}'s code (commit ${code.sha}${
      o.previous === code.sha ? "" : ` on branch ${escapeText(o.previous)}`
    }): nothing checked out, nothing changed`,
  );
  report(ctx, code, {
    worktree: o.top,
    checked_out: null,
    previous: o.previous || null,
    return_with: o.back,
  });
  return 0;
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
  const before = headCommit();
  const previous = head.code === 0 ? head.stdout.trim() : before;
  // code.snapshotBranch is exactly `run/<validated id>`, checked by
  // check-ref-format and pointing at code.sha; `--` makes git read it as a
  // branch, never a path.
  const args = code.snapshotBranch !== null
    ? ["checkout", "-q", code.snapshotBranch, "--"]
    : ["checkout", "-q", "--detach", code.sha, "--"];
  const back = previous ? `git checkout ${shellQuote(previous)}` : null;
  if (before === code.sha && moving.length === 0) {
    return alreadyThere(ctx, code, { top, previous, back });
  }
  const r = git(args);
  if (r.code !== 0) throw checkoutFailure(r, { before, back });
  let backSubs: string[];
  try {
    backSubs = checkoutSubmodules(moving);
  } catch (e) {
    throw leftBehind(
      e,
      `HEAD is already at the run's commit ${code.sha}, without the submodules${
        back === null ? "" : `; go back with: ${back}`
      }`,
    );
  }
  report(ctx, code, {
    worktree: top,
    checked_out: code.snapshotBranch !== null
      ? `branch ${code.snapshotBranch}`
      : `detached ${code.sha}`,
    ...submoduleFields(moving),
    previous: previous || null,
    return_with: back === null ? null : [back, ...backSubs].join(" && "),
  });
  return 0;
}
