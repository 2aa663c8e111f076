/**
 * Git code-state capture for run_start (see docs/design.md).
 * TEMPORARY placeholder signature: replaced by the real implementation.
 *
 * @module
 */

/** The `git` object of run_start.value (see docs/design.md). */
export interface GitState {
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  head: string | null;
  head_branch: string | null;
  status: string;
  status_truncated: boolean;
  mode: "snapshot" | "state";
  toplevel: string;
  exprag_dir: string | null;
  skipped: { path: string; bytes: number; reason: string }[];
}

/** Options of {@linkcode captureGit}. */
export interface GitCaptureOptions {
  /** `"snapshot"`: commit dirty worktrees to `run/<runId>`; `"state"`: record HEAD only. */
  mode: "snapshot" | "state";
  /** The run id (names the snapshot branch). */
  runId: string;
  /** Absolute path of the exprag directory (excluded from status and snapshot). */
  expragDir: string;
  /** Untracked files larger than this are left out of the snapshot. */
  maxFileBytes: number;
}

/** What {@linkcode captureGit} found. */
export interface GitCaptureResult {
  /** The git state, or `null` when not captured. */
  git: GitState | null;
  /** Why `git` is null or incomplete, naming the missing flag when it is a permission. */
  reason?: string;
}

/**
 * Captures the code state synchronously, never prompting for permissions.
 *
 * @param options What to capture.
 * @returns The git state, or `null` plus the reason.
 */
export function captureGit(_options: GitCaptureOptions): GitCaptureResult {
  return { git: null, reason: "git capture not implemented yet" };
}
