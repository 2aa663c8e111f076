/**
 * The current worktree as a git tree, the way a snapshot sees it: HEAD's
 * tree, then every tracked edit, deletion and untracked (not ignored) file
 * staged with `git add -A`, the exprag directory left out; written with
 * `git write-tree`. All of it happens in a temporary index of our own
 * (`exprag-diff-index` in the git directory, kept between calls so that
 * unchanged files are not hashed again): the user's index, HEAD and files
 * are never touched, and Deno needs no write permission (git writes it).
 *
 * Requires `--allow-run=git` (checked by cli.ts).
 *
 * @module
 */

import { join } from "../path.ts";
import { execGit, type GitResult } from "../git/exec.ts";
import { GitError } from "../errors.ts";
import { escapeText } from "./format.ts";
import { git, gitFailure, gitMessage, pathspecsExcluding } from "./gitsafe.ts";

/** The temporary index's name in the git directory. */
export const DIFF_INDEX = "exprag-diff-index";

/** How long to wait for another `exprag diff` holding the index's lock. */
const LOCK_WAIT_MS = 10_000;

/** Sleeps synchronously (git calls are synchronous too). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs git on the temporary index, waiting while another call holds its lock. */
function onIndex(index: string, args: string[]): GitResult {
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    // written whole: never a shared index in .git (core.splitIndex)
    const r = execGit(["-c", "core.splitIndex=false", ...args], {
      GIT_INDEX_FILE: index,
    });
    const locked = r.code !== 0 && /\.lock'?: File exists/.test(r.stderr);
    if (!locked) return r;
    if (Date.now() > until) {
      throw new GitError(
        `git ${args.find((a) => /^[a-z]/.test(a))}`,
        `${
          escapeText(gitMessage(r))
        } (another exprag diff is running, or one was killed: then remove ${
          escapeText(index)
        }.lock)`,
      );
    }
    sleep(100);
  }
}

/** NUL-separated git output as a list. */
function entries(out: string): string[] {
  return out.split("\0").filter((e) => e !== "");
}

/** The skip-worktree paths of an index (the user's: `index` undefined). */
function skipWorktree(index: string | undefined, top: string): string[] {
  const args = ["-C", top, "ls-files", "-z", "-t", "--", ":(top)"];
  const r = index === undefined ? execGit(args) : onIndex(index, args);
  if (r.code !== 0) throw gitFailure("git ls-files", r);
  return entries(r.stdout).filter((e) => e.startsWith("S ")).map((e) =>
    e.slice(2)
  );
}

/** Sets or clears the skip-worktree flag of paths in the temporary index. */
function flag(index: string, top: string, set: boolean, paths: string[]): void {
  if (paths.length === 0) return;
  const r = onIndex(index, [
    "-C",
    top,
    "update-index",
    set ? "--skip-worktree" : "--no-skip-worktree",
    "--",
    ...paths.map((p) => `./${p}`),
  ]);
  if (r.code !== 0) throw gitFailure("git update-index", r);
}

/**
 * Files the user's index flags skip-worktree (sparse checkouts) that are
 * absent from the worktree are not deletions: flag them in the temporary
 * index too, so that `git add -A` keeps them as HEAD has them (present
 * ones, edited, are staged, as a snapshot does). Flags left from the last
 * call are cleared first.
 */
function keepSparse(index: string, top: string): void {
  flag(index, top, false, skipWorktree(index, top));
  const sparse = new Set(skipWorktree(undefined, top));
  if (sparse.size === 0) return;
  const gone = onIndex(index, ["-C", top, "ls-files", "-z", "-d"]);
  if (gone.code !== 0) throw gitFailure("git ls-files", gone);
  flag(index, top, true, entries(gone.stdout).filter((p) => sparse.has(p)));
}

/**
 * Builds the tree of the current worktree.
 *
 * @param dir The exprag directory (left out).
 * @param top The repository's top level.
 * @returns The tree's full hash.
 * @throws {GitError} When git fails.
 */
export function worktreeTree(dir: string, top: string): string {
  // the per-worktree git directory (absolute: Deno.cwd() needs a permission)
  const gd = git(["rev-parse", "--absolute-git-dir"]);
  if (gd.code !== 0) throw gitFailure("git rev-parse --absolute-git-dir", gd);
  const index = join(gd.stdout.replace(/\n$/, ""), DIFF_INDEX);
  const head = git(["rev-parse", "--verify", "--quiet", "HEAD^{tree}"]);
  // --reset keeps the stat data of unchanged entries from the last call
  const base = head.code === 0
    ? ["read-tree", "--reset", head.stdout.trim()]
    : [
      "read-tree",
      "--empty",
    ];
  const rt = onIndex(index, base);
  if (rt.code !== 0) throw gitFailure("git read-tree", rt);
  keepSparse(index, top);
  const add = onIndex(index, ["add", "-A", "--", ":(top)"]);
  if (add.code !== 0) throw gitFailure("git add", add);
  // the exprag directory, when not ignored: out again (an exclude pathspec
  // naming an ignored directory would make `git add` fail)
  for (const spec of pathspecsExcluding(dir, top).slice(1)) {
    const rm = onIndex(index, [
      "rm",
      "-r",
      "-q",
      "--cached",
      "--ignore-unmatch",
      "--",
      spec.replace(/^:\(exclude,top,literal\)/, ":(top,literal)"),
    ]);
    if (rm.code !== 0) throw gitFailure("git rm --cached", rm);
  }
  const wt = onIndex(index, ["write-tree"]);
  const tree = wt.stdout.trim();
  if (wt.code !== 0 || !/^[0-9a-f]{40,64}$/.test(tree)) {
    throw gitFailure("git write-tree", wt);
  }
  return tree;
}
