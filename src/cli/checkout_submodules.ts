/**
 * Restoring a run's submodules after its superproject commit: every
 * gitlink of the run's commit whose submodule is checked out here
 * (recursively), which includes the run's submodule snapshots
 * (`git.submodules`: the snapshot's gitlinks point at them). Each commit is
 * checked out in the submodule's own repository, with the superproject's
 * safety rules (a clean submodule worktree, no ignored file overwritten).
 * Into a new worktree, each submodule becomes a linked worktree of the
 * user's submodule repository (which holds the commit) at its place.
 *
 * Requires `--allow-run=git` (checked by cli.ts).
 *
 * @module
 */

import { join } from "../path.ts";
import { NotFoundError } from "../errors.ts";
import { checkClean } from "./checkout_guard.ts";
import { escapeText, shellQuote, stderrLine } from "./format.ts";
import {
  gitFailure,
  gitIn,
  isSafeSubPath,
  resolveCommit,
  type RunCode,
} from "./gitsafe.ts";

/** A submodule to restore, resolved in the submodule's repository. */
export interface SubmoduleTarget {
  /** The path relative to the top level. */
  path: string;
  /** The submodule's worktree in the user's checkout. */
  dir: string;
  /** The commit, a full hash in the submodule's repository. */
  sha: string;
}

/** The gitlinks (submodules) of a commit in the repository at `dir` (undefined: here). */
function gitlinks(
  dir: string | undefined,
  sha: string,
): { path: string; oid: string }[] {
  const r = gitIn(dir, ["ls-tree", "-r", "-z", "--full-tree", sha, "--"]);
  if (r.code !== 0) throw gitFailure("git ls-tree", r);
  return r.stdout.split("\0").flatMap((e) => {
    const m = /^160000 commit ([0-9a-f]{40,64})\t(.*)$/s.exec(e);
    return m === null ? [] : [{ path: m[2], oid: m[1] }];
  });
}

/** Whether `dir` is the top level of a checked-out repository. */
function checkedOut(dir: string): boolean {
  const t = gitIn(dir, ["rev-parse", "--show-toplevel"]);
  return t.code === 0 && t.stdout.replace(/\n$/, "") === dir;
}

/**
 * Finds the submodules to restore, before anything is changed: each gitlink
 * of the run's commit (recursively) whose submodule is checked out here.
 * A recorded submodule snapshot that cannot be found is an error; another
 * gitlink that cannot be restored (not checked out here, or its commit
 * not fetched) is left as it is, with a note on stderr.
 *
 * @param top The superproject's top level.
 * @param code The run's code state.
 * @returns The targets, parents before children.
 * @throws {NotFoundError} When a recorded snapshot's submodule is not
 *   checked out, or lacks its commit.
 */
export function submoduleTargets(
  top: string,
  code: RunCode,
): SubmoduleTarget[] {
  const recorded = new Set(code.submodules.map((s) => s.path));
  const out: SubmoduleTarget[] = [];
  const walk = (dir: string | undefined, prefix: string, sha: string) => {
    for (const { path: p, oid } of gitlinks(dir, sha)) {
      const path = prefix + p;
      if (!isSafeSubPath(path)) continue; // git itself never checks such a path out
      const sub = join(top, path);
      const shown = escapeText(path);
      const found = checkedOut(sub) ? resolveCommit(oid, sub) : undefined;
      if (found === undefined) {
        const why = checkedOut(sub)
          ? `its commit ${oid} is not in the submodule's repository`
          : "it is not checked out here";
        if (recorded.has(path)) {
          throw new NotFoundError(
            `submodule ${shown} of run ${code.run} cannot be restored: ${why}; run \`git submodule update --init -- ${
              shellQuote(path)
            }\` first`,
          );
        }
        stderrLine(
          `exprag: note: submodule ${shown} of run ${code.run} is not restored: ${why}`,
        );
        continue;
      }
      out.push({ path, dir: sub, sha: found });
      walk(sub, `${path}/`, found);
    }
  };
  walk(undefined, "", code.sha); // the superproject: the current directory's repository
  for (const path of recorded) {
    if (!out.some((t) => t.path === path)) {
      throw new NotFoundError(
        `submodule snapshot ${
          escapeText(path)
        } of run ${code.run} is not a gitlink of its commit ${code.sha}`,
      );
    }
  }
  return out;
}

/**
 * The targets whose submodule is not at its commit already (in place, the
 * others are left exactly as they are, branch included).
 *
 * @param subs The targets.
 * @returns Those to check out.
 */
export function toMove(subs: readonly SubmoduleTarget[]): SubmoduleTarget[] {
  return subs.filter((s) =>
    gitIn(s.dir, ["rev-parse", "--verify", "-q", "HEAD"]).stdout.trim() !==
      s.sha
  );
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
 * Checks out each submodule's commit in place, detached.
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
 * Adds each submodule's commit to a new worktree of the superproject, as a
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
