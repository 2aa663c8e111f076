/**
 * Running git with strings taken from run records, safely: record contents
 * are untrusted, so a commit must be hex, a branch must pass
 * `git check-ref-format --branch` unchanged and be the run's own
 * `run/<id>`, every revision is resolved with
 * `git rev-parse --verify --end-of-options` to a full hash before use, and
 * nothing from a record is ever placed where git parses options.
 *
 * Requires `--allow-run=git` (checked by cli.ts before any of this runs).
 *
 * @module
 */

import { relative, resolve, sep } from "../path.ts";
import type { RunInfo } from "../query/mod.ts";
import { escapeText } from "./format.ts";
import { GitError, NotFoundError, RefusedError } from "../errors.ts";
import type { GitResult } from "../git/exec.ts";
import { runGit } from "../git/run.ts";
import { FALLBACK_REF_PREFIX } from "../git/refs.ts";

/** A commit as recorded: 7 to 64 lower-case hex digits (SHA-1 or SHA-256). */
export const COMMIT_RE: RegExp = /^[0-9a-f]{7,64}$/;

export type { GitResult };

/**
 * Runs git with fixed arguments in the current directory; never prompts
 * (`GIT_TERMINAL_PROMPT=0`), reads nothing from stdin, and, like the
 * tracker's capture, never runs the user's hooks or fsmonitor (a
 * `post-checkout` hook that fails would make a complete checkout look
 * failed).
 *
 * @param args The arguments (never an unvalidated record string).
 * @returns Exit code and output.
 * @throws {GitNotFoundError} When git is not installed (from `runGit`).
 */
export function git(args: readonly string[]): GitResult {
  return runGit([...args]);
}

/**
 * Runs git like {@linkcode git}, in another directory (`-C dir`): a
 * submodule's worktree.
 *
 * @param dir The directory (validated by the caller); undefined: the current one.
 * @param args The arguments (never an unvalidated record string).
 * @returns Exit code and output.
 * @throws {GitNotFoundError} When git is not installed (from `runGit`).
 */
export function gitIn(
  dir: string | undefined,
  args: readonly string[],
): GitResult {
  return runGit(dir === undefined ? [...args] : ["-C", dir, ...args]);
}

/**
 * git's error line, for error messages: the first `fatal:` or `error:` line
 * of its stderr (git prints progress such as `Preparing worktree` before
 * it), else its first non-empty line, else the exit code.
 *
 * @param r The result of a failed git call.
 * @returns One line, without the `fatal: `/`error: ` prefix.
 */
export function gitMessage(r: GitResult): string {
  const lines = r.stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l !== ""
  );
  const line = lines.find((l) => /^(fatal|error): /.test(l)) ?? lines[0] ??
    `exit code ${r.code}`;
  return line.replace(/^(fatal|error): /, "");
}

/**
 * Tells whether a recorded commit string is plain hex (7 to 64 digits).
 *
 * @param s The untrusted value.
 * @returns True when it may be handed to `rev-parse --verify`.
 */
export function isHexCommit(s: unknown): s is string {
  return typeof s === "string" && COMMIT_RE.test(s);
}

/**
 * Tells, without asking git, whether a recorded string may be shown as a
 * branch name: no leading `-`, no `@{...}`, no space, control character or
 * character git forbids in ref names, no `..`.
 *
 * @param s The untrusted value.
 * @returns True when it may be a branch name.
 */
export function looksLikeBranch(s: unknown): s is string {
  if (
    typeof s !== "string" || s === "" || s.startsWith("-") ||
    s.includes("@{") || s.includes("..")
  ) return false;
  // deno-lint-ignore no-control-regex
  return !/[\x00-\x20\x7f~^:?*[\\]/.test(s);
}

/**
 * Tells whether a recorded branch name is a valid branch name that git
 * would use as is: no leading `-`, no `@{...}` expansion, and accepted
 * unchanged by `git check-ref-format --branch`.
 *
 * @param s The untrusted value.
 * @returns True when valid.
 */
export function isSafeBranch(s: unknown): s is string {
  if (!looksLikeBranch(s)) return false;
  const r = git(["check-ref-format", "--branch", s]);
  return r.code === 0 && r.stdout.trim() === s;
}

/** `rev-parse --verify` of a validated revision to a full hash, in `dir`. */
function verify(rev: string, dir?: string): string | undefined {
  const r = gitIn(dir, [
    "rev-parse",
    "--verify",
    "--quiet",
    "--end-of-options",
    `${rev}^{commit}`,
  ]);
  const sha = r.stdout.trim();
  return r.code === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
}

/**
 * Resolves a hex commit to its full hash in the current repository (or in
 * the repository at `dir`).
 *
 * @param commit A validated hex commit.
 * @param dir Where the repository is (default: the current directory).
 * @returns The full hash, or `undefined` when the repository lacks it.
 */
export function resolveCommit(
  commit: string,
  dir?: string,
): string | undefined {
  return isHexCommit(commit) ? verify(commit, dir) : undefined;
}

/**
 * Resolves a local branch to its full hash.
 *
 * @param branch A branch name validated with {@linkcode isSafeBranch}.
 * @returns The full hash, or `undefined` when there is no such branch.
 */
export function resolveBranch(branch: string): string | undefined {
  return isSafeBranch(branch) ? verify(`refs/heads/${branch}`) : undefined;
}

/**
 * Resolves a full ref name built from a validated run id.
 *
 * @param ref `refs/exprag/runs/<id>`.
 * @returns The full hash, or `undefined` when there is no such ref.
 */
function resolveRefName(ref: string): string | undefined {
  return isSafeBranch(ref) ? verify(ref) : undefined;
}

/** The top-level directory of the repository around the current directory. */
export function toplevel(): string {
  const r = git(["rev-parse", "--show-toplevel"]);
  if (r.code !== 0) {
    throw new NotFoundError(
      `not inside a git repository (${
        escapeText(gitMessage(r))
      }); run exprag from the repository the runs came from`,
    );
  }
  return r.stdout.replace(/\n$/, "");
}

/** A run's code state, validated. */
export interface RunCode {
  /** The run id. */
  run: string;
  /** The recorded commit (hex). */
  commit: string;
  /** Its full hash in this repository. */
  sha: string;
  /**
   * The recorded `git.branch` (the branch to check out: `run/<id>` for a
   * dirty run, the original branch for a clean one, null when the snapshot
   * went to the fallback ref), when it is a valid branch name; a dirty run's
   * branch other than its own `run/<id>` is not trusted (null).
   */
  branch: string | null;
  /** `run/<id>` when the run made a snapshot branch that still points at the commit, else null. */
  snapshotBranch: string | null;
  /**
   * The fallback ref `refs/exprag/runs/<id>` when the run's snapshot was
   * stored there (the branch namespace was blocked) and it still points at
   * the commit, else null.
   */
  ref: string | null;
  /** The run's submodule snapshots (validated; parents before children). */
  submodules: SubmoduleCode[];
  /** Dirty submodules whose edits were not captured (`git.skipped`), as `path (reason)`, escaped. */
  uncapturedSubmodules: string[];
  /** The recorded dirty flag. */
  dirty: boolean | null;
  /** The recorded base commit (HEAD at run start), when hex. */
  base: string | null;
  /**
   * Why the run's code is NOT `sha`: the worktree was dirty but no snapshot
   * was taken (`sha` is only the base commit); null when `sha` is the run's
   * exact code.
   */
  uncaptured: string | null;
}

/** A submodule snapshot of a run, validated (resolved in the submodule by the caller). */
export interface SubmoduleCode {
  /** The path relative to the top level: plain segments, no `..`, no option-like start. */
  path: string;
  /** The recorded commit (hex). */
  commit: string;
}

/**
 * Whether a submodule path may name a directory below the top level: plain
 * segments, no `..`, no control characters, no option-like start.
 *
 * @param p The untrusted value.
 * @returns True when safe.
 */
export function isSafeSubPath(p: unknown): p is string {
  if (typeof p !== "string" || p === "" || p.length > 4096) return false;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(p) || p.startsWith("-")) return false;
  return p.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

/**
 * The recorded submodule snapshots (`git.submodules`), validated: a path
 * and a hex commit each; anything else is refused.
 *
 * @param run The run.
 * @returns The snapshots, parents before children.
 * @throws {RefusedError} When an entry is malformed.
 */
export function submoduleCodes(run: RunInfo): SubmoduleCode[] {
  const list = (run.git as Record<string, unknown> | null)?.submodules;
  if (list === undefined || list === null) return [];
  const bad = () =>
    new RefusedError(
      `run ${run.id} recorded invalid git.submodules; refusing to pass them to git`,
    );
  if (!Array.isArray(list)) throw bad();
  const out: SubmoduleCode[] = [];
  for (const e of list) {
    const { path, commit } = (e ?? {}) as Record<string, unknown>;
    if (!isSafeSubPath(path) || !isHexCommit(commit)) throw bad();
    out.push({ path, commit });
  }
  return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** The `reason` prefix the tracker gives a dirty submodule it could not snapshot. */
const SUBMODULE_SKIPPED = "dirty submodule not snapshotted";

/**
 * The dirty submodules of a run whose edits were not captured (listed in
 * `git.skipped` by the tracker).
 *
 * @param run The run.
 * @returns `path (reason)` each, escaped for a terminal.
 */
export function uncapturedSubmodules(run: RunInfo): string[] {
  const skipped = (run.git as Record<string, unknown> | null)?.skipped;
  if (!Array.isArray(skipped)) return [];
  return skipped.flatMap((e) => {
    const { path, reason } = (e ?? {}) as Record<string, unknown>;
    if (typeof path !== "string" || typeof reason !== "string") return [];
    if (!reason.startsWith(SUBMODULE_SKIPPED)) return [];
    return [`${escapeText(path)} (${escapeText(reason)})`];
  });
}

/**
 * Why a dirty run's uncommitted edits are missing from its recorded
 * commit: recorded `mode: "state"` (no snapshot requested, or it failed),
 * or a commit equal to the recorded base commit. (Files that record
 * neither, e.g. the Python exprag's, are taken at their word.)
 *
 * @param run The run.
 * @returns The reason, or null when the commit holds the run's code.
 */
export function uncapturedReason(run: RunInfo): string | null {
  const g = run.git;
  if (g === null || typeof g !== "object" || g.dirty !== true) return null;
  const why = (run.start?.unavailable as Record<string, unknown> | undefined)
    ?.["git.snapshot"];
  const detail = typeof why === "string" ? `: ${why}` : "";
  if (g.mode === "state") return `no snapshot was taken${detail}`;
  if (isHexCommit(g.head) && g.commit === g.head) {
    return `its recorded commit is the base commit${detail}`;
  }
  return null;
}

/**
 * The recorded `git.branch`, for the report only (never passed to git, so
 * checked without git): when it looks like a branch name, and for a dirty
 * run only its own `run/<id>` (any other would name another run's snapshot
 * or the user's branch, which is not the run's code).
 */
function recordedBranch(
  id: string,
  g: { branch?: unknown; dirty?: unknown },
): string | null {
  if (!looksLikeBranch(g.branch)) return null;
  if (g.dirty === true && g.branch !== `run/${id}`) return null;
  return g.branch;
}

/**
 * Validates a run's recorded git state and resolves its commit in the
 * current repository.
 *
 * @param run The run.
 * @returns The validated code state.
 * @throws {NotFoundError} When the run recorded no usable git state, or
 *   the commit is not in this repository.
 * @throws {RefusedError} When the recorded commit is not plain hex.
 */
export function runCode(run: RunInfo): RunCode {
  const g = run.git;
  if (g === null || typeof g !== "object") {
    const why = (run.start?.unavailable as Record<string, unknown> | undefined)
      ?.git;
    throw new NotFoundError(
      `run ${run.id} recorded no git state${
        typeof why === "string" ? ` (${why})` : ""
      }`,
    );
  }
  if (g.commit === null || g.commit === undefined) {
    throw new NotFoundError(
      `run ${run.id} recorded no commit (an unborn branch with a clean worktree)`,
    );
  }
  if (!isHexCommit(g.commit)) {
    throw new RefusedError(
      `run ${run.id} recorded an invalid commit ${
        JSON.stringify(String(g.commit)).slice(0, 80)
      }; refusing to pass it to git`,
    );
  }
  const sha = resolveCommit(g.commit);
  if (sha === undefined) {
    throw new NotFoundError(
      `commit ${g.commit} of run ${run.id} is not in this repository (deleted snapshot branch run/${run.id} or ref ${FALLBACK_REF_PREFIX}${run.id}, or another clone?)`,
    );
  }
  const own = `run/${run.id}`;
  const snapshotBranch = g.branch === own && resolveBranch(own) === sha
    ? own
    : null;
  const fallback = `${FALLBACK_REF_PREFIX}${run.id}`;
  const ref = g.ref === fallback && resolveRefName(fallback) === sha
    ? fallback
    : null;
  return {
    run: run.id,
    commit: g.commit,
    sha,
    branch: recordedBranch(run.id, g),
    snapshotBranch,
    ref,
    submodules: submoduleCodes(run),
    uncapturedSubmodules: uncapturedSubmodules(run),
    dirty: typeof g.dirty === "boolean" ? g.dirty : null,
    base: isHexCommit(g.head) ? g.head : null,
    uncaptured: uncapturedReason(run),
  };
}

/**
 * The pathspecs that cover the whole repository except the exprag
 * directory (when it lies inside the repository).
 *
 * @param dir The exprag directory (as given).
 * @param top The repository's top level.
 * @returns Pathspecs to put after `--`.
 */
export function pathspecsExcluding(dir: string, top: string): string[] {
  const specs = [":(top)"];
  let real: string;
  try {
    real = Deno.realPathSync(dir);
  } catch {
    real = resolve(dir);
  }
  const rel = relative(top, real);
  if (rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep)) {
    specs.push(`:(exclude,top,literal)${rel.split(sep).join("/")}`);
  }
  return specs;
}

/**
 * The error for a failed git call: what was attempted and git's own
 * error line, escaped.
 *
 * @param what What was attempted.
 * @param r The result.
 * @returns The error to throw.
 */
export function gitFailure(what: string, r: GitResult): GitError {
  return new GitError(what, escapeText(gitMessage(r)));
}
