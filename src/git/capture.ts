/**
 * Git code-state capture for run_start (see docs/design.md).
 *
 * A clean worktree is recorded as its HEAD commit and branch. A dirty worktree
 * is committed, without touching the user's HEAD, index, worktree or stash, as
 * a snapshot commit `refs/heads/run/<run_id>` whose tree is exactly the
 * worktree (minus the exprag directory, ignored files and oversize untracked
 * files); see `snapshot.ts`.
 *
 * Everything is synchronous and permission-scoped: every capability is queried
 * first with `Deno.permissions.querySync`, nothing ever prompts.
 *
 * @module
 */

import { resolve } from "../path.ts";
import { GitNotFoundError } from "../errors.ts";
import { gitUnavailableReason } from "./exec.ts";
import { locate, type Place } from "./place.ts";
import { deleteSnapshotRef } from "./refs.ts";
import {
  Deadline,
  gitConfigList,
  GitTimeoutError,
  mayRunFilters,
  runGit,
} from "./run.ts";
import { scan } from "./scan.ts";
import { snapshot } from "./snapshot.ts";
import { removeStaleTemp } from "./stale.ts";
import { capStatus } from "./status.ts";
import { snapshotSubmodules, type SubmoduleRun } from "./submodules.ts";
import { stopTimedRunner } from "./timed.ts";
import {
  DEFAULT_SNAPSHOT_TIMEOUT_MS,
  type GitCaptureOptions,
  type GitCaptureResult,
  type GitState,
} from "./types.ts";

/**
 * Captures the code state synchronously, never prompting for permissions.
 *
 * Clean worktree: `commit` = HEAD, `branch` = the current branch. Dirty
 * worktree in mode `"snapshot"`: a commit whose tree is exactly the worktree
 * (tracked edits, deletions, untracked non-ignored files; minus the exprag
 * directory and untracked files larger than `maxFileBytes`), parent HEAD,
 * stored as `refs/heads/run/<runId>` (created, never overwritten). The user's
 * HEAD, index, worktree and stash are never changed; hooks, fsmonitor and
 * commit signing never run. Commands that may run clean filters are killed
 * at `timeoutMs` (then `mode: "state"` with the reason).
 *
 * Permissions: requires `--allow-run=git`; reads the git index
 * (`--allow-read`) for the fast path; writes a temporary index inside the
 * exprag directory (`--allow-write` for it). Reading untracked files' sizes
 * needs `--allow-read` for them (otherwise they are skipped and listed).
 *
 * @example
 * ```ts ignore
 * import { captureGit } from "./capture.ts";
 * const { git, reason } = captureGit({
 *   mode: "snapshot",
 *   runId: crypto.randomUUID(),
 *   expragDir: "/abs/path/.exprag",
 *   maxFileBytes: 10 * 1024 * 1024,
 * });
 * console.log(git?.commit ?? reason);
 * ```
 *
 * @param options What to capture: mode, run id, absolute exprag directory, size limit.
 * @returns The git state, or `null` plus the reason; partial captures list
 * what is missing in `unavailable`.
 */
export function captureGit(options: GitCaptureOptions): GitCaptureResult {
  const unavailableReason = gitUnavailableReason();
  if (unavailableReason !== null) {
    return { git: null, reason: unavailableReason };
  }
  try {
    return capture(options);
  } catch (e) {
    if (e instanceof GitNotFoundError) return { git: null, reason: e.message };
    return {
      git: null,
      reason: `git capture failed: ${
        e instanceof Error ? e.message : String(e)
      }`,
    };
  } finally {
    stopTimedRunner();
  }
}

/** The state when status could not finish in time: HEAD only, recorded as dirty (unknown). */
function unscanned(
  place: Place,
  options: GitCaptureOptions,
  why: string,
): GitCaptureResult {
  const rev = runGit([...place.repo, "rev-parse", "--verify", "-q", "HEAD"]);
  const sym = runGit([...place.repo, "symbolic-ref", "--short", "-q", "HEAD"]);
  const head = rev.code === 0 ? rev.stdout.trim() : null;
  const branch = sym.code === 0 ? sym.stdout.trim() : null;
  const git: GitState = {
    ...baseState(place, options, head, branch),
    tree: null, // dirty unknown: the code is not known to be HEAD's
    dirty: true,
    mode: "state",
  };
  return {
    git,
    unavailable: {
      "git.snapshot":
        `status not read: ${why}; dirty unknown (recorded as dirty)`,
    },
  };
}

function baseState(
  place: Place,
  options: GitCaptureOptions,
  head: string | null,
  branch: string | null,
): GitState {
  const { rel } = place;
  return {
    commit: head,
    branch: head === null ? null : branch,
    tree: head !== null && place.headTree?.commit === head
      ? place.headTree.tree
      : null,
    dirty: false,
    head,
    head_branch: branch,
    status: "",
    status_truncated: false,
    mode: options.mode,
    toplevel: place.top,
    exprag_dir: rel === null ? null : (rel === "" ? "." : rel),
    skipped: [],
  };
}

function capture(options: GitCaptureOptions): GitCaptureResult {
  const place = locate(options);
  if (typeof place === "string") return { git: null, reason: place };
  const timeoutMs = options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
  removeStaleTemp(resolve(options.expragDir), timeoutMs);
  // without filters nothing of the user's can hang: no timed calls, no worker
  const config = gitConfigList(place.repo);
  const deadline = new Deadline(mayRunFilters(config) ? timeoutMs : Infinity);
  const scanned = scan(place, deadline);
  if ("failed" in scanned) return { git: null, reason: scanned.failed };
  if ("timedOut" in scanned) return unscanned(place, options, scanned.timedOut);
  const { parsed, unflag } = scanned;
  const { status, truncated, omitted } = capStatus(parsed.lines);
  const state: GitState = {
    ...baseState(place, options, parsed.head, parsed.branch),
    dirty: parsed.lines.length > 0,
    status,
    status_truncated: truncated,
    ...(truncated ? { status_omitted: omitted } : {}),
  };
  const unavailable: Record<string, string> = {};
  if (scanned.note !== undefined) unavailable["git.flagged"] = scanned.note;
  const done = (discard?: () => void): GitCaptureResult => ({
    git: state,
    ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}),
    ...(discard === undefined ? {} : { discard }),
  });
  if (!state.dirty || options.mode === "state") {
    if (state.dirty) {
      state.mode = "state";
      state.tree = null;
    }
    return done();
  }
  const subs: SubmoduleRun = {
    options,
    deadline,
    skipped: state.skipped,
    unavailable,
    made: [],
    undo: [],
  };
  let snap: ReturnType<typeof snapshot>;
  try {
    const gitlinks = snapshotSubmodules(place, parsed, subs);
    snap = snapshot(
      options,
      { ...place, unflag, deadline, gitlinks, config },
      parsed,
      state,
      unavailable,
    );
  } catch (e) {
    if (e instanceof GitNotFoundError) throw e;
    snap = e instanceof GitTimeoutError
      ? `snapshot not taken: ${e.message}`
      : `snapshot failed: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (typeof snap === "string") {
    for (const undo of subs.undo) undo();
    state.mode = "state";
    state.tree = null;
    unavailable["git.snapshot"] = snap;
    return done();
  }
  const { commit, ref } = snap;
  state.commit = commit;
  state.tree = snap.tree;
  state.branch = ref.branch;
  if (ref.branch === null) state.ref = ref.ref;
  if (subs.made.length > 0) {
    // parents before children: a parent's path is a prefix of its children's
    state.submodules = subs.made.sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0
    );
  }
  return done(() => {
    deleteSnapshotRef(place.repo, { ref: ref.ref, commit });
    for (const undo of subs.undo) undo();
  });
}
