/**
 * The snapshot commit of a dirty worktree: a temporary index (seeded from a
 * copy of the real one), the worktree staged into it (dirty submodules as
 * gitlinks to their own snapshots), a tree, a commit with HEAD as parent,
 * and the create-only ref `refs/heads/run/<run_id>` (or the fallback
 * `refs/exprag/runs/<run_id>`, see `refs.ts`). The user's HEAD, index,
 * worktree and stash are never changed.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { deniedReason, granted } from "../permissions.ts";
import type { ParsedStatus } from "./status.ts";
import type { Unflag } from "./flagged.ts";
import type { GitCaptureOptions, GitState } from "./types.ts";
import { type Deadline, firstError, runGit } from "./run.ts";
import { sizeUntracked, SKIP_UNREADABLE, stage } from "./stage.ts";
import { type StoredRef, storeSnapshotRef } from "./refs.ts";

/** The author and committer of snapshot commits when no git identity is configured. */
const FALLBACK_IDENTITY = { name: "exprag", email: "exprag@localhost" };

/** Where the snapshot is taken. */
export interface SnapshotPlace {
  /** The top level. */
  top: string;
  /** git's leading arguments naming the repository (`-C top --git-dir=... --work-tree=...`). */
  repo: string[];
  /** Flagged (skip-worktree, assume-unchanged) paths to unflag in the temporary index before staging. */
  unflag: Unflag;
  /** The real index (copied as the seed). */
  indexPath: string;
  /** The pathspecs of the whole tree minus the exprag directory. */
  specs: string[];
  /** The time limit of filter-running commands. */
  deadline: Deadline;
  /** Gitlinks to set in the snapshot (dirty submodules' own snapshots). */
  gitlinks?: Gitlink[];
  /** Names the temporary files (default: the run id); a submodule's differs from its superproject's. */
  tag?: string;
}

/** A gitlink entry of the snapshot's tree: a submodule at `path` at `commit`. */
export interface Gitlink {
  /** The path relative to the top level. */
  path: string;
  /** The commit. */
  commit: string;
}

/** What the snapshot's commit message and parent are taken from, and where skipped files are listed. */
export type SnapshotState = Pick<GitState, "head" | "head_branch" | "skipped">;

/** Seeds the temporary index from a copy of the real one; notes in `unavailable` when it cannot. */
function seedIndex(
  indexPath: string,
  tmpIndex: string,
  unavailable: Record<string, string>,
): boolean {
  const readDesc: Deno.PermissionDescriptor = { name: "read", path: indexPath };
  if (!granted(readDesc)) {
    unavailable["git.index"] = `${
      deniedReason(readDesc)
    }: snapshot started from HEAD's tree (slower)`;
    return false;
  }
  try {
    Deno.copyFileSync(indexPath, tmpIndex);
    const s = Deno.statSync(indexPath);
    if (s.mtime) Deno.utimeSync(tmpIndex, s.atime ?? s.mtime, s.mtime);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true; // no index yet: start empty
    const why = e instanceof Error ? e.message : String(e);
    unavailable["git.index"] =
      `cannot copy ${indexPath} (${why}): snapshot started from HEAD's tree (slower)`;
    return false;
  }
}

/** Tree, commit (never signed, fallback identity only when none is configured). */
function commitTree(
  repo: string[],
  env: Record<string, string>,
  options: GitCaptureOptions,
  state: SnapshotState,
): { commit: string; tree: string } | { error: string } {
  const wt = runGit([...repo, "write-tree"], env);
  if (wt.code !== 0) {
    return { error: `git write-tree failed: ${firstError(wt)}` };
  }
  const tree = wt.stdout.trim();
  const message = `exprag snapshot of run ${options.runId}\n\nbase: ${
    state.head ?? "(unborn)"
  }\nbranch: ${state.head_branch ?? "(detached)"}\n`;
  const ctArgs = [...repo, "commit-tree", "--no-gpg-sign", "-m", message];
  if (state.head !== null) ctArgs.push("-p", state.head);
  ctArgs.push(tree);
  let ct = runGit(["-c", "user.useConfigOnly=true", ...ctArgs]);
  if (ct.code !== 0) {
    // No identity configured: use the fallback for this commit only.
    const { name, email } = FALLBACK_IDENTITY;
    ct = runGit(ctArgs, {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
    });
    if (ct.code !== 0) {
      return { error: `git commit-tree failed: ${firstError(ct)}` };
    }
  }
  return { commit: ct.stdout.trim(), tree };
}

/**
 * Takes the snapshot of a dirty worktree.
 *
 * @param options The capture's options (run id, exprag dir, size limit).
 * @param place Top level, real index, pathspecs, deadline.
 * @param parsed What status reported.
 * @param state The state so far (its `skipped` is filled in).
 * @param unavailable Where partial captures are noted.
 * @returns The snapshot commit, its tree and the ref keeping it, or why
 *   none was taken.
 * @throws {import("./run.ts").GitTimeoutError} When staging hit the deadline.
 */
export function snapshot(
  options: GitCaptureOptions,
  place: SnapshotPlace,
  parsed: ParsedStatus,
  state: SnapshotState,
  unavailable: Record<string, string>,
): { commit: string; tree: string; ref: StoredRef } | string {
  const { top, repo } = place;
  if (!/^[0-9A-Za-z][0-9A-Za-z_-]*$/.test(options.runId)) {
    return `run id ${JSON.stringify(options.runId)} cannot name a branch`;
  }
  const dir = resolve(options.expragDir);
  const writeDesc: Deno.PermissionDescriptor = { name: "write", path: dir };
  if (!granted(writeDesc)) {
    return `no temporary index: ${deniedReason(writeDesc)}`;
  }
  try {
    Deno.mkdirSync(dir, { recursive: true });
  } catch (e) {
    return `cannot create ${dir}: ${e instanceof Error ? e.message : e}`;
  }
  const tag = place.tag ?? options.runId;
  const tmpIndex = join(dir, `.git-index-${tag}.tmp`);
  const pathspecFile = join(dir, `.git-pathspec-${tag}.tmp`);
  try {
    const env = { GIT_INDEX_FILE: tmpIndex };
    // 1. Start from a copy of the real index (keeps the stat data: nothing unchanged is rehashed).
    const seeded = seedIndex(place.indexPath, tmpIndex, unavailable);
    if (!seeded && state.head !== null) {
      const rt = runGit([...repo, "read-tree", state.head], env);
      if (rt.code !== 0) return `git read-tree failed: ${firstError(rt)}`;
    }
    // Flagged files: update-index would skip (or, with --remove, drop) a
    // skip-worktree entry; clear the flags in the temporary index first.
    const { skipWorktree, assumeUnchanged } = place.unflag;
    if (seeded && skipWorktree.length + assumeUnchanged.length > 0) {
      // one mark per path and call: a path flagged both ways is named twice
      const uf = runGit([
        ...repo,
        "update-index",
        "--no-skip-worktree",
        ...skipWorktree.map((p) => `./${p}`),
        "--no-assume-unchanged",
        ...assumeUnchanged.map((p) => `./${p}`),
      ], env);
      if (uf.code !== 0) return `git update-index failed: ${firstError(uf)}`;
    }
    // 2. Untracked files: leave out the oversize ones (and those we cannot size).
    //    Then stage exactly what status reported into the temporary index.
    const { unknown, left } = sizeUntracked(top, parsed.untracked, {
      max: options.maxFileBytes,
      skipped: state.skipped,
    });
    const err = stage(parsed, {
      top,
      repo,
      env,
      fresh: !seeded,
      specs: place.specs,
      skipped: state.skipped,
      left,
      pathspecFile,
      deadline: place.deadline,
    });
    if (err !== null) return err;
    if (state.skipped.some((s) => s.reason === SKIP_UNREADABLE)) {
      unavailable["git.skipped"] =
        "some files could not be read: see git.skipped";
    }
    if (unknown > 0) {
      unavailable["git.skipped"] =
        "some untracked files could not be sized and were left out: see git.skipped";
    }
    // 3. Dirty submodules: their own snapshots.
    const links = place.gitlinks ?? [];
    if (links.length > 0) {
      const gl = runGit([
        ...repo,
        "update-index",
        ...links.flatMap((
          l,
        ) => ["--cacheinfo", `160000,${l.commit},${l.path}`]),
      ], env);
      if (gl.code !== 0) return `git update-index failed: ${firstError(gl)}`;
    }
    // 4. Tree, commit, ref (create-only).
    const made = commitTree(repo, env, options, state);
    if ("error" in made) return made.error;
    const { commit, tree } = made;
    const ref = storeSnapshotRef(repo, { runId: options.runId, commit });
    if (typeof ref === "string") return ref;
    return { commit, tree, ref };
  } finally {
    for (const f of [tmpIndex, `${tmpIndex}.lock`, pathspecFile]) {
      try {
        Deno.removeSync(f);
      } catch {
        // not there
      }
    }
  }
}
