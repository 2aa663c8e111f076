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

import { join, resolve } from "../path.ts";
import { deniedReason, granted } from "../permissions.ts";
import type { ParsedStatus } from "./status.ts";
import { equalBytes } from "./quote.ts";
import type { Unflag } from "./flagged.ts";
import type { GitCaptureOptions, GitState } from "./types.ts";
import { type Deadline, firstError, gitConfigList, runGit } from "./run.ts";
import { sizeUntracked, SKIP_UNREADABLE, stage, type Staged } from "./stage.ts";
import {
  cachePath,
  type IndexIdentity,
  keepIndexCache,
  readRealIndex,
  type RealIndex,
  seedFromCache,
  statPaths,
  type Touched,
} from "./index_cache.ts";
import { attributesFingerprint, configFingerprint } from "./hash_context.ts";
import { type StoredRef, storeSnapshotRef } from "./refs.ts";

const encoder = new TextEncoder();

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
  /** The exprag directory relative to the top level; null when outside. */
  rel?: string | null;
  /** Bytes of an object id: 20 (SHA-1) or 32 (SHA-256). */
  hashBytes: number;
  /** The pathspecs of the whole tree minus the exprag directory. */
  specs: string[];
  /** The time limit of filter-running commands. */
  deadline: Deadline;
  /** The configuration git sees there, when already listed (`gitConfigList`). */
  config?: Uint8Array | null;
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

/**
 * Whether the reused temporary index may live in the exprag directory:
 * outside the worktree, or inside it with a `.gitignore` of its own (the
 * tracker writes one holding `*`), so that the file never shows in the
 * status of another run. Never at the top level itself.
 *
 * @param dir The exprag directory (absolute).
 * @param rel Its path relative to the top level; null when outside.
 */
function keepsCache(dir: string, rel: string | null | undefined): boolean {
  if (rel === "" || !granted({ name: "read", path: dir })) return false;
  if (rel === null) return true;
  try {
    return Deno.lstatSync(join(dir, ".gitignore")).isFile;
  } catch {
    return false;
  }
}

/** How the temporary index was seeded. */
type Seed =
  & (
    /** From HEAD's tree (the real index could not be read). */
    | { kind: "fresh" }
    /** A copy of the real index (`real`: the identity of what was copied). */
    | { kind: "copy"; real: IndexIdentity | "absent" }
    /** A reused temporary index (valid for the real index `real`). */
    | {
      kind: "cache";
      real: IndexIdentity | "absent";
      previous: Touched;
      /** The attributes fingerprint of `previous`'s stat-recorded paths (unchanged since). */
      attributes: string;
    }
  )
  & {
    /** The file system's time when the temporary index was written (else the clock's), ms. */
    fsNowMs: number;
  };

/**
 * Seeds the temporary index: the reused one when it is valid for the real
 * index as it is, else a copy of the real index; notes in `unavailable`
 * when the real index cannot be read (then the caller reads HEAD's tree).
 */
function seedIndex(
  place: SnapshotPlace,
  files: {
    tmpIndex: string;
    cache: { path: string; context: string } | null;
  },
  unavailable: Record<string, string>,
): Seed {
  const { indexPath } = place;
  const readDesc: Deno.PermissionDescriptor = { name: "read", path: indexPath };
  if (!granted(readDesc)) {
    unavailable["git.index"] = `${
      deniedReason(readDesc)
    }: snapshot started from HEAD's tree (slower)`;
    return { kind: "fresh", fsNowMs: Date.now() };
  }
  let real: RealIndex | "absent";
  try {
    real = readRealIndex(indexPath, place.hashBytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    unavailable["git.index"] =
      `cannot copy ${indexPath} (${why}): snapshot started from HEAD's tree (slower)`;
    return { kind: "fresh", fsNowMs: Date.now() };
  }
  const identity = real === "absent" ? "absent" : real.identity;
  if (files.cache !== null) {
    const previous = seedFromCache(files.cache.path, {
      indexPath,
      context: files.cache.context,
      real: identity,
      hashBytes: place.hashBytes,
      tmpIndex: files.tmpIndex,
    });
    // its entries' blobs were hashed under the attributes of then
    const same = previous !== null &&
      attributesFingerprint(
          place.repo,
          statPaths(previous.touched.paths),
          absentIndex(files.tmpIndex),
        ) === previous.attributes;
    if (previous !== null && same) {
      return {
        kind: "cache",
        real: identity,
        previous: previous.touched,
        attributes: previous.attributes,
        fsNowMs: previous.fsNowMs,
      };
    }
  }
  if (real === "absent") return { kind: "copy", real, fsNowMs: Date.now() }; // no index yet: start empty
  try {
    const fsNowMs = copyRealIndex(real, files.tmpIndex);
    return { kind: "copy", real: identity, fsNowMs };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    unavailable["git.index"] =
      `cannot copy ${indexPath} (${why}): snapshot started from HEAD's tree (slower)`;
    return { kind: "fresh", fsNowMs: Date.now() };
  }
}

/**
 * Writes the real index's bytes as the temporary index, with its times
 * (keeps its stat data valid: nothing unchanged is rehashed).
 *
 * @returns The file system's time of the write (the copy's modification
 *   time before it is set), ms.
 */
function copyRealIndex(real: RealIndex, tmpIndex: string): number {
  Deno.writeFileSync(tmpIndex, real.bytes);
  const fsNowMs = Deno.statSync(tmpIndex).mtime?.getTime() ?? 0;
  const mtime = new Date(real.identity.mtimeMs);
  Deno.utimeSync(tmpIndex, real.atime ?? mtime, mtime);
  return fsNowMs;
}

/**
 * Readies a seeded temporary index for staging: HEAD's tree read into a
 * fresh one; flags cleared in a copied one (update-index would skip, or
 * with --remove drop, a skip-worktree entry).
 *
 * @returns null, or the error.
 */
function prepare(
  seed: Seed,
  o: {
    repo: string[];
    unflag: Unflag;
    env: Record<string, string>;
    head: string | null;
  },
): string | null {
  if (seed.kind === "fresh") {
    if (o.head === null) return null;
    const rt = runGit([...o.repo, "read-tree", o.head], o.env);
    return rt.code === 0 ? null : `git read-tree failed: ${firstError(rt)}`;
  }
  const { skipWorktree, assumeUnchanged } = o.unflag;
  if (skipWorktree.length + assumeUnchanged.length === 0) return null;
  // one mark per path and call: a path flagged both ways is named twice
  const uf = runGit([
    ...o.repo,
    "update-index",
    "--no-skip-worktree",
    ...skipWorktree.map((p) => `./${p}`),
    "--no-assume-unchanged",
    ...assumeUnchanged.map((p) => `./${p}`),
  ], o.env);
  return uf.code === 0 ? null : `git update-index failed: ${firstError(uf)}`;
}

/**
 * The attributes fingerprint of the paths a kept index may trust next time:
 * the seed's when they are the same paths (a reused index whose snapshot
 * named nothing new), else asked of git.
 */
function keptAttributes(
  repo: string[],
  tmpIndex: string,
  touched: Touched,
  seed: Seed,
): string | null {
  const paths = statPaths(touched.paths);
  if (seed.kind === "cache") {
    const before = statPaths(seed.previous.paths);
    const same = before.length === paths.length &&
      before.every((p, i) => equalBytes(p, paths[i]));
    if (same) return seed.attributes;
  }
  return attributesFingerprint(repo, paths, absentIndex(tmpIndex));
}

/** A path beside the temporary index where no file is ever written (an empty index to git). */
function absentIndex(tmpIndex: string): string {
  return `${tmpIndex}.none`;
}

/** Points each dirty submodule's gitlink at its snapshot; null, or the error. */
function linkSubmodules(
  repo: string[],
  env: Record<string, string>,
  links: Gitlink[],
): { error: string } | null {
  const gl = runGit([
    ...repo,
    "update-index",
    ...links.flatMap((l) => ["--cacheinfo", `160000,${l.commit},${l.path}`]),
  ], env);
  return gl.code === 0
    ? null
    : { error: `git update-index failed: ${firstError(gl)}` };
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
  const { top } = place;
  // Every git call on the temporary index writes it whole: with the user's
  // core.splitIndex=true git would write a shared index into .git (and,
  // with splitIndex.sharedIndexExpire, delete the one the real index needs).
  const repo = [...place.repo, "-c", "core.splitIndex=false"];
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
  // the kept index, with the configuration it must have been made under
  const context = keepsCache(dir, place.rel)
    ? configFingerprint(place.config ?? gitConfigList(place.repo))
    : null;
  const cache = context === null ? null : {
    path: cachePath(dir, place.indexPath),
    context,
  };
  try {
    const env = { GIT_INDEX_FILE: tmpIndex };
    // 1. Start from the reused temporary index, or a copy of the real one
    //    (both keep the stat data: nothing unchanged is rehashed).
    let seed = seedIndex(place, { tmpIndex, cache }, unavailable);
    // 2. Untracked files: leave out the oversize ones (and those we cannot size).
    //    Then stage exactly what status reported into the temporary index.
    const statTimeMs = Math.min(Date.now(), seed.fsNowMs);
    const { unknown, left, stats } = sizeUntracked(top, parsed.untracked, {
      max: options.maxFileBytes,
      skipped: state.skipped,
    });
    const skippedBefore = state.skipped.length;
    const links = place.gitlinks ?? [];
    let staged: Staged | string;
    let made: { commit: string; tree: string } | { error: string };
    for (;;) {
      const err = prepare(seed, {
        repo,
        unflag: place.unflag,
        env,
        head: state.head,
      });
      staged = err ?? stage(parsed, {
        top,
        repo,
        env,
        fresh: seed.kind === "fresh",
        specs: place.specs,
        skipped: state.skipped,
        left,
        pathspecFile,
        deadline: place.deadline,
        stats,
        statTimeMs,
        previous: seed.kind === "cache" ? seed.previous : undefined,
        sparse: place.unflag.sparse,
      });
      made = { error: "not staged" };
      if (
        typeof staged !== "string" && staged.error === null && !staged.retry
      ) {
        // 3. Dirty submodules: their own snapshots. 4. Tree and commit.
        made = links.length === 0
          ? commitTree(repo, env, options, state)
          : linkSubmodules(repo, env, links) ??
            commitTree(repo, env, options, state);
        if (!("error" in made)) break;
      }
      if (seed.kind !== "cache") break;
      // the reused index did not work out (a failure while staging, or a
      // kept index git cannot read any more): start again from a copy
      state.skipped.length = skippedBefore;
      seed = seedIndex(place, { tmpIndex, cache: null }, unavailable);
    }
    if (typeof staged === "string") return staged;
    if (staged.error !== null) return staged.error;
    if ("error" in made) return made.error;
    if (state.skipped.some((s) => s.reason === SKIP_UNREADABLE)) {
      unavailable["git.skipped"] =
        "some files could not be read: see git.skipped";
    }
    if (unknown > 0) {
      unavailable["git.skipped"] =
        "some untracked files could not be sized and were left out: see git.skipped";
    }
    const { commit, tree } = made;
    const ref = storeSnapshotRef(repo, { runId: options.runId, commit });
    if (typeof ref === "string") return ref;
    // 5. Keep the temporary index for the next snapshot (see index_cache.ts).
    if (cache !== null && seed.kind !== "fresh") {
      const touched = staged.touched;
      if (touched !== null) {
        for (const l of links) {
          touched.paths.push({
            path: encoder.encode(l.path),
            kind: "tracked",
            stat: null,
          });
        }
        const attributes = keptAttributes(place.repo, tmpIndex, touched, seed);
        if (attributes !== null) {
          keepIndexCache(cache.path, {
            tmpIndex,
            indexPath: place.indexPath,
            context: cache.context,
            attributes,
            real: seed.real,
            hashBytes: place.hashBytes,
            touched,
            tag,
          });
        }
      }
    }
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
