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

import { isAbsolute, join, relative, resolve } from "node:path";
import { GitNotFoundError } from "../errors.ts";
import { granted } from "../permissions.ts";
import { gitUnavailableReason } from "./exec.ts";
import {
  Deadline,
  firstError,
  GitTimeoutError,
  runGit,
  runGitTimed,
} from "./run.ts";
import { snapshot } from "./snapshot.ts";
import { excludeSpec } from "./stage.ts";
import { capStatus, parseStatus } from "./status.ts";
import { stopTimedRunner } from "./timed.ts";
import {
  DEFAULT_SNAPSHOT_TIMEOUT_MS,
  type GitCaptureOptions,
  type GitCaptureResult,
  type GitState,
} from "./types.ts";

/** The exprag directory relative to the top level, or null when outside. */
function expragRelative(top: string, expragDir: string): string | null {
  const inside = (p: string): string | null => {
    const rel = relative(top, p);
    if (rel === "") return "";
    if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) return null;
    return rel;
  };
  const abs = resolve(expragDir);
  const lexical = inside(abs);
  if (lexical !== null) return lexical;
  // The path may reach the worktree through a symlink: resolve it when allowed.
  if (granted({ name: "read", path: abs })) {
    try {
      const real = inside(Deno.realPathSync(abs));
      if (real !== null) return real;
    } catch {
      // does not exist yet: fall through
    }
  }
  // Let git resolve it (needs no read permission of ours).
  const out = runGit([
    "-C",
    abs,
    "rev-parse",
    "--show-toplevel",
    "--show-prefix",
  ]);
  if (out.code === 0) {
    const [t, prefix = ""] = out.stdout.split("\n");
    if (t === top) return prefix.replace(/\/$/, "");
  }
  return null;
}

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

/** Where the worktree is: top level, real index, exprag directory, pathspecs. */
interface Place {
  top: string;
  indexPath: string;
  rel: string | null;
  specs: string[];
}

function locate(options: GitCaptureOptions): Place | string {
  const info = runGit([
    ...(options.cwd === undefined ? [] : ["-C", options.cwd]),
    "rev-parse",
    "--show-toplevel",
    "--show-prefix",
    "--git-path",
    "index",
  ]);
  if (info.code !== 0) {
    if (/not a git repository/i.test(info.stderr)) {
      return "not a git repository";
    }
    if (/must be run in a work tree/i.test(info.stderr)) {
      return "not inside a git work tree";
    }
    return `git rev-parse failed: ${firstError(info)}`;
  }
  const [top, prefix = "", indexOut = ""] = info.stdout.split("\n");
  const indexPath = isAbsolute(indexOut)
    ? indexOut
    : join(top, prefix, indexOut);
  const rel = expragRelative(top, options.expragDir);
  const specs = [":/"];
  if (rel !== null && rel !== "") specs.push(excludeSpec(rel) as string);
  // The exprag dir is the top level itself: leave out its runs and our temp files.
  if (rel === "") {
    specs.push(excludeSpec("runs") as string, ":(top,exclude,glob).git-*.tmp*");
  }
  return { top, indexPath, rel, specs };
}

function capture(options: GitCaptureOptions): GitCaptureResult {
  const place = locate(options);
  if (typeof place === "string") return { git: null, reason: place };
  const { top, rel, specs } = place;
  const deadline = new Deadline(
    options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS,
  );
  let st;
  try {
    st = runGitTimed([
      "-C",
      top,
      "status",
      "--porcelain=v2",
      "-z",
      "--branch",
      "--no-ahead-behind", // never walk history for upstream counts
      "--untracked-files=all",
      "--ignored=no",
      "--",
      ...specs,
    ], { deadline });
  } catch (e) {
    if (e instanceof GitTimeoutError) return { git: null, reason: e.message };
    throw e;
  }
  if (st.code !== 0) {
    return { git: null, reason: `git status failed: ${firstError(st)}` };
  }
  const parsed = parseStatus(st.stdout);
  const { status, truncated } = capStatus(parsed.lines);
  const dirty = parsed.lines.length > 0;
  const state: GitState = {
    commit: parsed.head,
    branch: parsed.head === null ? null : parsed.branch,
    dirty,
    head: parsed.head,
    head_branch: parsed.branch,
    status,
    status_truncated: truncated,
    mode: options.mode,
    toplevel: top,
    exprag_dir: rel === null ? null : (rel === "" ? "." : rel),
    skipped: [],
  };
  if (!dirty || options.mode === "state") {
    if (dirty) state.mode = "state";
    return { git: state };
  }
  const unavailable: Record<string, string> = {};
  let snap: { commit: string } | string;
  try {
    snap = snapshot(
      options,
      { ...place, deadline },
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
    state.mode = "state";
    unavailable["git.snapshot"] = snap;
  } else {
    state.commit = snap.commit;
    state.branch = `run/${options.runId}`;
  }
  return Object.keys(unavailable).length > 0
    ? { git: state, unavailable }
    : { git: state };
}
