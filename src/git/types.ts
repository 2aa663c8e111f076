/**
 * The recorded git type (`run_start.value.git`) and the options and result
 * of its capture: the one definition the tracker writes and readers use.
 *
 * @module
 */

/**
 * The `git` object of run_start.value (see docs/design.md): the code state a
 * run started from.
 *
 * Produced by `captureGit`, which requires `--allow-run=git`; reads
 * the git index (`--allow-read`) for the fast path; writes a temporary index
 * inside the exprag directory.
 *
 * To restore a run's code, `git checkout <git.branch>` (or
 * `<git.commit>`); what changed against its base: `git diff <git.head>
 * <git.commit>` — or let `exprag checkout` / `exprag diff` validate the
 * strings first.
 *
 * @example A run recorded without code state has `git: null`
 * ```ts
 * import { Experiment, type GitState, resolveRun } from "@exprag/cli";
 * import { equal } from "node:assert/strict";
 *
 * const dir = Deno.makeTempDirSync();
 * new Experiment("train", { dir, git: false }).end();
 * const git: GitState | null = (await resolveRun("latest", { dir })).git;
 * equal(git, null); // `git: false` records none; see `unavailable.git`
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export interface GitState {
  /** Snapshot commit when dirty (mode `"snapshot"`), else HEAD; null on an unborn clean repository. */
  commit: string | null;
  /**
   * `run/<run_id>` for a snapshot, else the current branch; null when
   * detached or unborn (and no snapshot), and for a snapshot stored under
   * the fallback ref (see `ref`).
   */
  branch: string | null;
  /**
   * The tree object id of the run's code: the snapshot commit's tree for a
   * snapshot, HEAD's tree for a clean worktree; null when unborn or when
   * the code is not a commit's (dirty without a snapshot). Two runs with
   * the same tree ran the same code, whatever their commits. Absent in
   * runs recorded before it existed and in the Python exprag's runs.
   */
  tree?: string | null;
  /** Whether the worktree (minus the exprag directory) had uncommitted changes or untracked files. */
  dirty: boolean;
  /** The base commit (HEAD at start); null when the branch is unborn. */
  head: string | null;
  /** The user's branch at start (short name); null when detached. */
  head_branch: string | null;
  /** `git status --porcelain` lines (untracked files listed one by one, exprag directory left out), capped at 64 KiB. */
  status: string;
  /** Whether `status` was cut (at a line boundary) at 64 KiB. */
  status_truncated: boolean;
  /**
   * How many status lines were left out of `status` (only when
   * `status_truncated`; absent in older runs and the Python exprag's).
   */
  status_omitted?: number;
  /** The mode that applied: the requested one, except `"state"` when a snapshot was requested but not taken (see `unavailable["git.snapshot"]`). */
  mode: "snapshot" | "state";
  /** Absolute path of the worktree's top level. */
  toplevel: string;
  /** The exprag directory relative to `toplevel`; null when it is outside the worktree. */
  exprag_dir: string | null;
  /**
   * Untracked files left out of the snapshot (`bytes` null when the size
   * could not be read), and dirty submodules that could not be snapshotted
   * (path ending in `/`).
   */
  skipped: {
    /**
     * Path relative to the top level (nested repositories end in `/`); a name
     * that is not valid UTF-8 is written C-quoted as git does (`"\377.txt"`).
     */
    path: string;
    /** Its size, or null when it could not be read. */
    bytes: number | null;
    /** Why it was left out. */
    reason: string;
  }[];
  /**
   * Only when the snapshot is not on the branch `run/<run_id>` (the branch
   * namespace was blocked, e.g. by a local branch named `run`): the ref
   * keeping it, `refs/exprag/runs/<run_id>`; `branch` is then null.
   */
  ref?: string;
  /**
   * Only when dirty submodules were snapshotted: their snapshots, taken in
   * each submodule's own repository, parents before children.
   */
  submodules?: {
    /** The submodule's path relative to the superproject's top level (nested ones: `a/b`). */
    path: string;
    /** The snapshot commit in the submodule's repository (the gitlink of the superproject's snapshot). */
    commit: string;
    /** The ref keeping it there: `refs/heads/run/<run_id>` or `refs/exprag/runs/<run_id>`. */
    ref: string;
    /** The submodule's HEAD at start (the snapshot's parent); null when unborn. */
    head: string | null;
  }[];
}

/** One untracked file left out of a snapshot (an element of `GitState.skipped`). */
export type SkippedFile = GitState["skipped"][number];

/** A dirty submodule's snapshot (an element of `GitState.submodules`). */
export type SubmoduleSnapshot = NonNullable<GitState["submodules"]>[number];

/**
 * Options of `captureGit`.
 *
 * @example
 * ```ts ignore
 * const options: GitCaptureOptions = {
 *   mode: "snapshot",
 *   runId: crypto.randomUUID(),
 *   expragDir: "/abs/path/.exprag",
 *   maxFileBytes: 10 * 1024 * 1024,
 * };
 * ```
 */
export interface GitCaptureOptions {
  /** `"snapshot"`: commit dirty worktrees to `run/<runId>`; `"state"`: record HEAD only. */
  mode: "snapshot" | "state";
  /** The run id (names the snapshot branch; letters, digits, `-`, `_`). */
  runId: string;
  /** Absolute path of the exprag directory (excluded from status and snapshot; holds the temporary index). */
  expragDir: string;
  /** Untracked files larger than this are left out of the snapshot. */
  maxFileBytes: number;
  /** Where to look for the repository (default: the process's working directory). */
  cwd?: string;
  /**
   * Time limit for the git commands that may run clean filters (status and
   * staging); past it git is killed and the run records `mode: "state"` with
   * the reason. Default {@linkcode DEFAULT_SNAPSHOT_TIMEOUT_MS}. Applied
   * only when git may run a program of the user's (a filter or a submodule
   * configured; see `mayRunFilters` in `run.ts`): otherwise nothing can hang.
   */
  timeoutMs?: number;
}

/** The default of {@linkcode GitCaptureOptions.timeoutMs}: one minute. */
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 60_000;

/**
 * What `captureGit` found.
 *
 * @example
 * ```ts ignore
 * const r: GitCaptureResult = captureGit(options);
 * if (r.git === null) unavailable.git = r.reason!;
 * Object.assign(unavailable, r.unavailable ?? {});
 * ```
 */
export interface GitCaptureResult {
  /** The git state, or `null` when not captured. */
  git: GitState | null;
  /** Why `git` is null, naming the missing flag when it is a permission. */
  reason?: string;
  /**
   * What was captured only partly, and why (keys for run_start's
   * `unavailable`): `"git.snapshot"` (dirty but no snapshot taken: `commit`
   * is HEAD), `"git.index"` (the real index could not be copied: the snapshot
   * started from HEAD's tree, slower), `"git.skipped"` (some untracked files
   * could not be sized or read, see `skipped`), `"git.submodules"` (dirty
   * submodules not snapshotted, see `skipped`).
   */
  unavailable?: Record<string, string>;
  /**
   * Removes the refs the capture created (the snapshot's, the submodules');
   * for a run that is not recorded after all.
   */
  discard?: () => void;
}
