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

import { resolve } from "node:path";
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
    if (!isWorktree(worktree)) throw e;
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
  // code.branch is exactly `run/<validated id>`, checked by check-ref-format and
  // pointing at code.sha; `--` makes git read it as a branch, never a path.
  const args = code.branch !== null
    ? ["checkout", "-q", code.branch, "--"]
    : ["checkout", "-q", "--detach", code.sha, "--"];
  const back = previous ? `git checkout ${shellQuote(previous)}` : null;
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
    checked_out: code.branch !== null
      ? `branch ${code.branch}`
      : `detached ${code.sha}`,
    ...submoduleFields(moving),
    previous: previous || null,
    return_with: back === null ? null : [back, ...backSubs].join(" && "),
  });
  return 0;
}
