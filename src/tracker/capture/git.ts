/**
 * Git code-state capture for run_start (see docs/design.md).
 *
 * A clean worktree is recorded as its HEAD commit and branch. A dirty worktree
 * is committed, without touching the user's HEAD, index, worktree or stash, as
 * a snapshot commit `refs/heads/run/<run_id>` whose tree is exactly the
 * worktree (minus the exprag directory, ignored files and oversize untracked
 * files). The snapshot starts from a copy of the real index, so unchanged
 * files are not rehashed.
 *
 * Everything is synchronous and permission-scoped: every capability is queried
 * first with `Deno.permissions.querySync`, nothing ever prompts.
 *
 * @module
 */

import { isAbsolute, join, relative, resolve } from "node:path";
import { deniedReason, granted } from "../../permissions.ts";
import { execGit, type GitResult } from "../../git_exec.ts";

/**
 * The `git` object of run_start.value (see docs/design.md): the code state a
 * run started from.
 *
 * Produced by {@linkcode captureGit}, which requires `--allow-run=git`; reads
 * the git index (`--allow-read`) for the fast path; writes a temporary index
 * inside the exprag directory.
 *
 * @example
 * ```ts ignore
 * // check out the exact code of a run (dirty or clean):
 * //   git checkout <git.branch>      (or: git checkout <git.commit>)
 * // what changed against the base commit:
 * //   git diff <git.head> <git.commit>
 * const g: GitState = start.value.git;
 * console.log(g.dirty ? `snapshot ${g.commit} on ${g.branch}` : g.commit);
 * ```
 */
export interface GitState {
  /** Snapshot commit when dirty (mode `"snapshot"`), else HEAD; null on an unborn clean repository. */
  commit: string | null;
  /** `run/<run_id>` for a snapshot, else the current branch; null when detached or unborn (and no snapshot). */
  branch: string | null;
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
  /** The mode that applied: the requested one, except `"state"` when a snapshot was requested but not taken (see `unavailable["git.snapshot"]`). */
  mode: "snapshot" | "state";
  /** Absolute path of the worktree's top level. */
  toplevel: string;
  /** The exprag directory relative to `toplevel`; null when it is outside the worktree. */
  exprag_dir: string | null;
  /** Untracked files left out of the snapshot (`bytes` null when the size could not be read). */
  skipped: { path: string; bytes: number | null; reason: string }[];
}

/**
 * Options of {@linkcode captureGit}.
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
}

/**
 * What {@linkcode captureGit} found.
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
   * could not be sized or read, see `skipped`).
   */
  unavailable?: Record<string, string>;
}

/** `status` is cut at a line boundary at this many UTF-8 bytes. */
const STATUS_MAX_BYTES = 64 * 1024;

/** The author and committer of snapshot commits when no git identity is configured. */
const FALLBACK_IDENTITY = { name: "exprag", email: "exprag@localhost" };

/** The `reason` of an oversize untracked file in `skipped`. */
const SKIP_TOO_LARGE = "larger than snapshotMaxFileBytes";

/** The `reason` of an untracked nested repository without commits, in `skipped`. */
const SKIP_NO_COMMIT = "nested repository without commits";

/** The `reason` of an untracked file git could not read, in `skipped`. */
const SKIP_UNREADABLE = "unreadable";

const RUN_DESC: Deno.RunPermissionDescriptor = { name: "run", command: "git" };
const decoder = new TextDecoder();

/** Options passed to every git invocation: never run hooks or fsmonitor, never prompt. */
const BASE_CONFIG = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
];
type GitOut = GitResult;

class GitMissing extends Error {}

function runGit(args: string[], env: Record<string, string> = {}): GitOut {
  try {
    return execGit([...BASE_CONFIG, ...args], env);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new GitMissing("git not found on PATH");
    }
    throw e;
  }
}

/** First meaningful line of git's stderr, for reasons. */
function firstError(out: GitOut): string {
  const lines = out.stderr.split("\n").map((l) => l.trim()).filter((l) =>
    l !== ""
  );
  const fatal = lines.find((l) => /^(fatal|error):/.test(l));
  return (fatal ?? lines[0] ?? `exit code ${out.code}`).replace(
    /^(fatal|error):\s*/,
    "",
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs git, retrying briefly while another process holds a git lock file. */
function runGitRetry(args: string[], env: Record<string, string> = {}): GitOut {
  let out = runGit(args, env);
  for (let i = 0; i < 20 && out.code !== 0 && isLockError(out.stderr); i++) {
    sleepSync(10 + Math.floor(Math.random() * 40));
    out = runGit(args, env);
  }
  return out;
}

function isLockError(stderr: string): boolean {
  return /\.lock'?:? File exists|Unable to create '[^']*\.lock'|unable to lock|could not lock/i
    .test(stderr) && !/reference already exists/.test(stderr);
}

/**
 * Undoes git's C-style path quoting (`"a\303\251\"b"` → `aé"b`); unquoted
 * paths are returned as they are.
 */
function unquotePath(s: string): string {
  if (!(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  const simple: Record<string, number> = {
    a: 7,
    b: 8,
    t: 9,
    n: 10,
    v: 11,
    f: 12,
    r: 13,
    '"': 34,
    "\\": 92,
  };
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i];
    if (c !== "\\") {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...enc.encode(ch));
      i += ch.length - 1;
      continue;
    }
    const n = s[++i];
    if (n in simple) bytes.push(simple[n]);
    else if (/[0-7]/.test(n)) {
      bytes.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(92, n.charCodeAt(0));
  }
  return decoder.decode(new Uint8Array(bytes));
}

/** A pathspec that excludes one literal path (relative to the top level). */
function excludeSpec(path: string): string {
  return `:(top,exclude,literal)${path}`;
}

interface ParsedStatus {
  /** HEAD's commit; null when unborn. */
  head: string | null;
  /** The current branch (short name); null when detached. */
  branch: string | null;
  /** The entries as `git status --porcelain` (v1) lines. */
  lines: string[];
  /** Untracked paths (unquoted, relative to the top level; nested repositories end in `/`). */
  untracked: string[];
  /** Tracked entries: index/worktree status letters (`.` unchanged), path, original path of a rename or copy. */
  changes: { x: string; y: string; path: string; orig?: string }[];
}

/**
 * Parses `git status --porcelain=v2 --branch` (not `-z`) and rewrites the
 * entries as `git status --porcelain` (v1) lines.
 */
function parseStatus(text: string): ParsedStatus {
  const res: ParsedStatus = {
    head: null,
    branch: null,
    lines: [],
    untracked: [],
    changes: [],
  };
  // v1 prints tracked entries (unmerged ones included) in path order; v2
  // prints unmerged ones after the others: sort them back by path (stable).
  const tracked: { key: Uint8Array; line: string }[] = [];
  const untracked: string[] = [];
  const enc = new TextEncoder();
  const push = (path: string, line: string) =>
    tracked.push({ key: enc.encode(unquotePath(path)), line });
  const v1Path = (p: string) =>
    !p.startsWith('"') && p.includes(" ") ? `"${p}"` : p;
  const xy = (s: string) => s.replaceAll(".", " ");
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# branch.oid ")) {
      const v = line.slice("# branch.oid ".length);
      res.head = v === "(initial)" ? null : v;
    } else if (line.startsWith("# branch.head ")) {
      const v = line.slice("# branch.head ".length);
      res.branch = v === "(detached)" ? null : v;
    } else if (line.startsWith("# ")) {
      continue;
    } else if (line.startsWith("1 ")) {
      const f = splitFields(line, 8);
      push(f[8], `${xy(f[1])} ${v1Path(f[8])}`);
      res.changes.push({ x: f[1][0], y: f[1][1], path: unquotePath(f[8]) });
    } else if (line.startsWith("2 ")) {
      const f = splitFields(line, 9);
      const [to, from] = f[9].split("\t");
      push(to, `${xy(f[1])} ${v1Path(from)} -> ${v1Path(to)}`);
      res.changes.push({
        x: f[1][0],
        y: f[1][1],
        path: unquotePath(to),
        orig: unquotePath(from),
      });
    } else if (line.startsWith("u ")) {
      const f = splitFields(line, 10);
      push(f[10], `${xy(f[1])} ${v1Path(f[10])}`);
      // unmerged: whatever is in the worktree (or its absence) wins
      res.changes.push({ x: "U", y: "U", path: unquotePath(f[10]) });
    } else if (line.startsWith("? ")) {
      const p = line.slice(2);
      untracked.push(`?? ${v1Path(p)}`);
      res.untracked.push(unquotePath(p));
    }
  }
  tracked.sort((a, b) => compareBytes(a.key, b.key));
  res.lines = [...tracked.map((t) => t.line), ...untracked];
  return res;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Splits `n` space-separated fields and keeps the rest (the path) whole. */
function splitFields(line: string, n: number): string[] {
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const sp = line.indexOf(" ", pos);
    out.push(line.slice(pos, sp));
    pos = sp + 1;
  }
  out.push(line.slice(pos));
  return out;
}

/** Joins lines and caps them at `STATUS_MAX_BYTES` on a line boundary. */
function capStatus(lines: string[]): { status: string; truncated: boolean } {
  const enc = new TextEncoder();
  let bytes = 0;
  const kept: string[] = [];
  for (const l of lines) {
    const n = enc.encode(l).length + 1;
    if (bytes + n > STATUS_MAX_BYTES) {
      return { status: kept.join(""), truncated: true };
    }
    bytes += n;
    kept.push(l + "\n");
  }
  return { status: kept.join(""), truncated: false };
}

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

/** When `--allow-run=git` names a git that is not on PATH, Deno reports "prompt": tell the two apart when we can. */
function gitMissingOnPath(): boolean {
  if (!granted({ name: "env", variable: "PATH" })) return false;
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== "");
  for (const d of dirs) {
    // Deno puts its own node shims first on PATH: never a git there.
    if (/[\\/]deno[\\/]node_compat_bin$/.test(d)) continue;
    if (!granted({ name: "read", path: d })) return false;
    try {
      Deno.statSync(join(d, "git"));
      return false;
    } catch {
      // not there
    }
  }
  return true;
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
 * commit signing never run.
 *
 * Permissions: requires `--allow-run=git`; reads the git index
 * (`--allow-read`) for the fast path; writes a temporary index inside the
 * exprag directory (`--allow-write` for it). Reading untracked files' sizes
 * needs `--allow-read` for them (otherwise they are skipped and listed).
 *
 * @example
 * ```ts ignore
 * import { captureGit } from "./git.ts";
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
  if (!granted(RUN_DESC)) {
    return {
      git: null,
      reason: gitMissingOnPath()
        ? "git not found on PATH"
        : deniedReason(RUN_DESC),
    };
  }
  try {
    return capture(options);
  } catch (e) {
    if (e instanceof GitMissing) return { git: null, reason: e.message };
    return {
      git: null,
      reason: `git capture failed: ${
        e instanceof Error ? e.message : String(e)
      }`,
    };
  }
}

function capture(options: GitCaptureOptions): GitCaptureResult {
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
      return { git: null, reason: "not a git repository" };
    }
    if (/must be run in a work tree/i.test(info.stderr)) {
      return { git: null, reason: "not inside a git work tree" };
    }
    return { git: null, reason: `git rev-parse failed: ${firstError(info)}` };
  }
  const [top, prefix = "", indexOut = ""] = info.stdout.split("\n");
  const indexPath = isAbsolute(indexOut)
    ? indexOut
    : join(top, prefix, indexOut);
  const rel = expragRelative(top, options.expragDir);
  const specs = [":/"];
  if (rel !== null && rel !== "") specs.push(excludeSpec(rel));
  // The exprag dir is the top level itself: leave out its runs and our temp files.
  if (rel === "") {
    specs.push(excludeSpec("runs"), ":(top,exclude,glob).git-*.tmp*");
  }

  const st = runGit([
    "-C",
    top,
    "status",
    "--porcelain=v2",
    "--branch",
    "--no-ahead-behind", // never walk history for upstream counts
    "--untracked-files=all",
    "--ignored=no",
    "--",
    ...specs,
  ]);
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
    snap = snapshot(options, top, indexPath, specs, parsed, state, unavailable);
  } catch (e) {
    if (e instanceof GitMissing) throw e;
    snap = `snapshot failed: ${e instanceof Error ? e.message : String(e)}`;
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

/**
 * Interprets a failed `git add --all --ignore-errors`: unreadable files are
 * listed in `skipped` (the rest was staged); the notice about pathspecs that
 * name ignored paths (our exclusion of an ignored exprag directory) is benign.
 *
 * @returns null when the index was written, else the error.
 */
function addFailure(add: GitOut, skipped: GitState["skipped"]): string | null {
  const lines = add.stderr.split("\n");
  const seen = new Set<string>();
  for (const line of lines) {
    if (/are ignored by one of your \.gitignore files/.test(line)) {
      continue;
    }
    const m = /^error: (?:open\("(.*)"\)|unable to index file '(.*)')/.exec(
      line,
    );
    if (m) {
      const p = m[1] ?? m[2];
      if (!seen.has(p)) {
        seen.add(p);
        skipped.push({ path: p, bytes: null, reason: SKIP_UNREADABLE });
      }
      continue;
    }
    if (/^(fatal|error):/.test(line)) {
      if (/adding files failed/.test(line)) continue; // after unreadable files
      return line.replace(/^(fatal|error):\s*/, "");
    }
    // anything else (hints, warnings, the list of ignored paths) is informational
  }
  return null;
}

/** Sizes of untracked files; oversize and unsizable ones go to `skipped`. */
function sizeUntracked(
  top: string,
  paths: string[],
  max: number,
  skipped: GitState["skipped"],
): number {
  let unknown = 0;
  const all = granted({ name: "read", path: top });
  for (const p of paths) {
    if (p.endsWith("/")) {
      // A nested repository is added as a gitlink, which needs a commit: one
      // without any would fail the whole snapshot, so it is left out.
      const head = runGit([
        "-C",
        join(top, p),
        "rev-parse",
        "--verify",
        "-q",
        "HEAD",
      ]);
      if (head.code !== 0) {
        skipped.push({ path: p, bytes: null, reason: SKIP_NO_COMMIT });
      }
      continue;
    }
    const abs = join(top, p);
    if (!all && !granted({ name: "read", path: abs })) {
      skipped.push({
        path: p,
        bytes: null,
        reason: `size unknown: ${deniedReason({ name: "read", path: abs })}`,
      });
      unknown++;
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(abs);
    } catch {
      continue; // vanished since status: git add will not see it either
    }
    if (info.isFile && info.size > max) {
      skipped.push({ path: p, bytes: info.size, reason: SKIP_TOO_LARGE });
    }
  }
  return unknown;
}

/** Above this many changed paths (or bytes of them), stage with `git add --all` instead of naming them. */
const MAX_NAMED_PATHS = 2000;
const MAX_NAMED_BYTES = 96 * 1024;

/**
 * Stages the worktree into the temporary index. Fast path: hand exactly the
 * paths status reported to `git update-index` (no second scan of the
 * worktree). Fallback (many paths, or an unreadable file): `git add --all`
 * over the whole tree minus the exprag directory and the skipped files.
 *
 * @returns null on success, else the error.
 */
function stage(
  fresh: boolean,
  top: string,
  env: Record<string, string>,
  parsed: ParsedStatus,
  specs: string[],
  skipped: GitState["skipped"],
  pathspecFile: string,
): string | null {
  const left = new Set(skipped.map((s) => s.path));
  const added = parsed.untracked.filter((p) => !left.has(p)).map((p) =>
    p.endsWith("/") ? p.slice(0, -1) : p
  );
  // What differs between the temporary index and the worktree: with a copy
  // of the real index, the worktree side of status (Y); with an index read
  // from HEAD (fresh), both sides (X and Y).
  const updated: string[] = [];
  const removed: string[] = [];
  for (const c of parsed.changes) {
    if (fresh && c.orig !== undefined && c.orig !== c.path && c.x === "R") {
      removed.push(c.orig);
    }
    if (c.y === "D" || (fresh && c.x === "D" && c.y === ".")) {
      removed.push(c.path);
    } else if (c.y !== "." || (fresh && c.x !== ".")) updated.push(c.path);
  }
  updated.push(...added);
  const count = updated.length + removed.length;
  const bytes = [...updated, ...removed].reduce((n, p) => n + p.length + 1, 0);
  if (count <= MAX_NAMED_PATHS && bytes <= MAX_NAMED_BYTES) {
    // One call; options apply to the paths after them. "./" keeps a path
    // that starts with "-" from being read as an option.
    const args = ["-C", top, "-c", "core.splitIndex=false", "update-index"];
    if (removed.length > 0) {
      args.push(
        "--force-remove",
        ...removed.map((p) => `./${p}`),
        "--no-force-remove",
      );
    }
    if (updated.length > 0) {
      args.push(
        "--add",
        "--remove",
        "--replace",
        ...updated.map((p) => `./${p}`),
      );
    }
    if (runGit(args, env).code === 0) return null;
    // e.g. an unreadable file: fall back to add --all --ignore-errors
  }
  const addSpecs = [...specs, ...skipped.map((s) => excludeSpec(s.path))];
  const addArgs = [
    "-C",
    top,
    "-c",
    "core.splitIndex=false",
    "-c",
    "advice.addEmbeddedRepo=false",
    "-c",
    "advice.addIgnoredFile=false",
    "add",
    "--all",
    "--ignore-errors",
  ];
  let add: GitOut;
  if (addSpecs.reduce((n, s) => n + s.length + 1, 0) > MAX_NAMED_BYTES) {
    Deno.writeTextFileSync(pathspecFile, addSpecs.join("\0") + "\0");
    add = runGit([
      ...addArgs,
      `--pathspec-from-file=${pathspecFile}`,
      "--pathspec-file-nul",
    ], env);
  } else {
    add = runGit([...addArgs, "--", ...addSpecs], env);
  }
  if (add.code === 0) return null;
  const err = addFailure(add, skipped);
  return err === null ? null : `git add failed: ${err}`;
}

function snapshot(
  options: GitCaptureOptions,
  top: string,
  indexPath: string,
  specs: string[],
  parsed: ParsedStatus,
  state: GitState,
  unavailable: Record<string, string>,
): { commit: string } | string {
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
  const tmpIndex = join(dir, `.git-index-${options.runId}.tmp`);
  const pathspecFile = join(dir, `.git-pathspec-${options.runId}.tmp`);
  try {
    const env = { GIT_INDEX_FILE: tmpIndex };
    // 1. Start from a copy of the real index (keeps the stat data: nothing unchanged is rehashed).
    const readDesc: Deno.PermissionDescriptor = {
      name: "read",
      path: indexPath,
    };
    let seeded = false;
    if (granted(readDesc)) {
      try {
        Deno.copyFileSync(indexPath, tmpIndex);
        const s = Deno.statSync(indexPath);
        if (s.mtime) Deno.utimeSync(tmpIndex, s.atime ?? s.mtime, s.mtime);
        seeded = true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          seeded = true; // no index yet (nothing staged ever): start empty
        } else {
          const why = e instanceof Error ? e.message : String(e);
          unavailable["git.index"] =
            `cannot copy ${indexPath} (${why}): snapshot started from HEAD's tree (slower)`;
        }
      }
    } else {
      unavailable["git.index"] = `${
        deniedReason(readDesc)
      }: snapshot started from HEAD's tree (slower)`;
    }
    if (!seeded && state.head !== null) {
      const rt = runGit(["-C", top, "read-tree", state.head], env);
      if (rt.code !== 0) return `git read-tree failed: ${firstError(rt)}`;
    }
    // 2. Untracked files: leave out the oversize ones (and those we cannot size).
    //    Then stage exactly what status reported into the temporary index.
    const unknown = sizeUntracked(
      top,
      parsed.untracked,
      options.maxFileBytes,
      state.skipped,
    );
    const err = stage(
      !seeded,
      top,
      env,
      parsed,
      specs,
      state.skipped,
      pathspecFile,
    );
    if (err !== null) return err;
    if (state.skipped.some((s) => s.reason === SKIP_UNREADABLE)) {
      unavailable["git.skipped"] =
        "some files could not be read: see git.skipped";
    }
    if (unknown > 0) {
      unavailable["git.skipped"] =
        "some untracked files could not be sized and were left out: see git.skipped";
    }
    // 3. Tree, commit (never signed, fallback identity only when none is configured), ref (create-only).
    const wt = runGit(["-C", top, "write-tree"], env);
    if (wt.code !== 0) return `git write-tree failed: ${firstError(wt)}`;
    const tree = wt.stdout.trim();
    const message = `exprag snapshot of run ${options.runId}\n\nbase: ${
      state.head ?? "(unborn)"
    }\nbranch: ${state.head_branch ?? "(detached)"}\n`;
    const ctArgs = ["-C", top, "commit-tree", "--no-gpg-sign", "-m", message];
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
      if (ct.code !== 0) return `git commit-tree failed: ${firstError(ct)}`;
    }
    const commit = ct.stdout.trim();
    const ur = runGitRetry([
      "-C",
      top,
      "update-ref",
      "-m",
      `exprag: snapshot of run ${options.runId}`,
      `refs/heads/run/${options.runId}`,
      commit,
      "",
    ]);
    if (ur.code !== 0) return `git update-ref failed: ${firstError(ur)}`;
    return { commit };
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
