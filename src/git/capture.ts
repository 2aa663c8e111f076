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
import { capStatus, type ParsedStatus, parseStatus } from "./status.ts";
import { flaggedChanges, type Unflag } from "./flagged.ts";
import { concatBytes } from "./quote.ts";
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
  /**
   * git's leading arguments for every later call: the top level and the
   * repository named absolutely, so that a relative `GIT_DIR` or
   * `GIT_WORK_TREE` in the environment (relative to the process's working
   * directory, as git resolves them) does not change meaning under `-C`.
   */
  repo: string[];
  indexPath: string;
  hashBytes: number;
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
    "--show-object-format",
    "--absolute-git-dir",
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
  const [top, prefix = "", indexOut = "", format = "", gitDir = ""] = info
    .stdout.split("\n");
  const repo = ["-C", top, `--git-dir=${gitDir}`, `--work-tree=${top}`];
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
  const hashBytes = format === "sha256" ? 32 : 20;
  return { top, repo, indexPath, hashBytes, rel, specs };
}

/** What status (plus the flagged files) reported, or why it could not be read. */
type Scanned =
  | { parsed: ParsedStatus; unflag: Unflag; note?: string }
  | { timedOut: string }
  | { failed: string };

/** Runs status, and finds the edits of flagged files that status hides. */
function scan(place: Place, deadline: Deadline): Scanned {
  try {
    const st = runGitTimed([
      ...place.repo,
      "status",
      "--porcelain=v2",
      "-z",
      "--branch",
      "--no-ahead-behind", // never walk history for upstream counts
      "--untracked-files=all",
      "--ignored=no",
      "--",
      ...place.specs,
    ], { deadline });
    if (st.code !== 0) {
      return { failed: `git status failed: ${firstError(st)}` };
    }
    const flagged = flaggedChanges({ ...place, deadline });
    if (flagged.entries.length === 0) {
      return {
        parsed: parseStatus(st.stdout),
        unflag: flagged.unflag,
        note: flagged.note,
      };
    }
    const all = concatBytes([st.stdout, flagged.entries]);
    return {
      parsed: parseStatus(all),
      unflag: flagged.unflag,
      note: flagged.note,
    };
  } catch (e) {
    if (e instanceof GitTimeoutError) return { timedOut: e.message };
    throw e;
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
  const deadline = new Deadline(
    options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS,
  );
  const scanned = scan(place, deadline);
  if ("failed" in scanned) return { git: null, reason: scanned.failed };
  if ("timedOut" in scanned) return unscanned(place, options, scanned.timedOut);
  const { parsed, unflag } = scanned;
  const { status, truncated } = capStatus(parsed.lines);
  const state: GitState = {
    ...baseState(place, options, parsed.head, parsed.branch),
    dirty: parsed.lines.length > 0,
    status,
    status_truncated: truncated,
  };
  const unavailable: Record<string, string> = {};
  if (scanned.note !== undefined) unavailable["git.flagged"] = scanned.note;
  const done = () =>
    Object.keys(unavailable).length > 0
      ? { git: state, unavailable }
      : { git: state };
  if (!state.dirty || options.mode === "state") {
    if (state.dirty) state.mode = "state";
    return done();
  }
  let snap: { commit: string } | string;
  try {
    snap = snapshot(
      options,
      { ...place, unflag, deadline },
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
  return done();
}
