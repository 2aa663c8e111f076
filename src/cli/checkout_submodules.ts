/**
 * Restoring a run's submodule snapshots (`git.submodules`) after its
 * superproject commit: each recorded commit is checked out in the
 * submodule's own repository, with the superproject's safety rules (a
 * clean submodule worktree, no ignored file overwritten). Into a new
 * worktree, each submodule becomes a linked worktree of the user's
 * submodule repository (which holds the snapshot commit) at its place.
 *
 * Requires `--allow-run=git` (checked by cli.ts).
 *
 * @module
 */

import { join } from "node:path";
import { NotFoundError } from "../errors.ts";
import { checkClean } from "./checkout_guard.ts";
import { escapeText, shellQuote } from "./format.ts";
import { gitFailure, gitIn, resolveCommit, type RunCode } from "./gitsafe.ts";

/** A submodule snapshot to restore, resolved in the submodule's repository. */
export interface SubmoduleTarget {
  /** The path relative to the top level. */
  path: string;
  /** The submodule's worktree in the user's checkout. */
  dir: string;
  /** The snapshot commit, a full hash in the submodule's repository. */
  sha: string;
}

/**
 * Finds each recorded submodule snapshot in the user's checked-out
 * submodules, before anything is changed.
 *
 * @param top The superproject's top level.
 * @param code The run's code state.
 * @returns The targets, parents before children.
 * @throws {NotFoundError} When a submodule is not checked out, or lacks its commit.
 */
export function submoduleTargets(
  top: string,
  code: RunCode,
): SubmoduleTarget[] {
  return code.submodules.map(({ path, commit }) => {
    const dir = join(top, path);
    const shown = escapeText(path);
    const t = gitIn(dir, ["rev-parse", "--show-toplevel"]);
    if (t.code !== 0 || t.stdout.replace(/\n$/, "") !== dir) {
      throw new NotFoundError(
        `submodule ${shown} of run ${code.run} is not checked out here; run \`git submodule update --init -- ${
          shellQuote(path)
        }\` first`,
      );
    }
    const sha = resolveCommit(commit, dir);
    if (sha === undefined) {
      throw new NotFoundError(
        `commit ${commit} of submodule ${shown} of run ${code.run} is not in the submodule's repository (deleted snapshot ref, or another clone?)`,
      );
    }
    return { path, dir, sha };
  });
}

/**
 * Refuses (before anything changes) when restoring a submodule in place
 * would lose the user's work in it.
 *
 * @param run The run id.
 * @param subs The targets.
 * @throws {import("../errors.ts").RefusedError} When it would.
 */
export function checkSubmodulesClean(
  run: string,
  subs: readonly SubmoduleTarget[],
): void {
  for (const s of subs) {
    checkClean(run, s.sha, {
      specs: [":(top)"],
      dir: s.dir,
      what: `submodule ${escapeText(s.path)}`,
    });
  }
}

/**
 * Checks out each submodule snapshot in place, detached.
 *
 * @param subs The targets (checked clean).
 * @returns The commands that return each submodule to where it was.
 */
export function checkoutSubmodules(subs: readonly SubmoduleTarget[]): string[] {
  const back: string[] = [];
  for (const s of subs) {
    const head = gitIn(s.dir, ["symbolic-ref", "--short", "-q", "HEAD"]);
    const previous = head.code === 0
      ? head.stdout.trim()
      : gitIn(s.dir, ["rev-parse", "--verify", "-q", "HEAD"]).stdout.trim();
    const r = gitIn(s.dir, ["checkout", "-q", "--detach", s.sha, "--"]);
    if (r.code !== 0) {
      throw gitFailure(`git checkout in submodule ${escapeText(s.path)}`, r);
    }
    if (previous !== "") {
      back.push(`git -C ${shellQuote(s.dir)} checkout ${shellQuote(previous)}`);
    }
  }
  return back;
}

/**
 * Adds each submodule snapshot to a new worktree of the superproject, as a
 * linked worktree of the user's submodule repository.
 *
 * @param worktree The superproject's new worktree.
 * @param subs The targets.
 * @returns The commands that remove them (children first), to run before
 *   removing the superproject's worktree.
 */
export function submoduleWorktrees(
  worktree: string,
  subs: readonly SubmoduleTarget[],
): string[] {
  const remove: string[] = [];
  for (const s of subs) {
    const at = join(worktree, s.path);
    const r = gitIn(s.dir, [
      "worktree",
      "add",
      "--detach",
      "--end-of-options",
      at,
      s.sha,
    ]);
    if (r.code !== 0) {
      throw gitFailure(
        `git worktree add ${escapeText(at)} (submodule ${escapeText(s.path)})`,
        r,
      );
    }
    // the empty directory stays: a missing one would count as a deletion
    // in the parent worktree, and git would refuse to remove that
    remove.unshift(
      `git -C ${shellQuote(s.dir)} worktree remove ${shellQuote(at)} && mkdir ${
        shellQuote(at)
      }`,
    );
  }
  return remove;
}
