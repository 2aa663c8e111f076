/**
 * Staging a worktree into a temporary index for a snapshot: sizing the
 * untracked files, then handing git exactly the paths status reported.
 * Paths are bytes throughout (a name that is not valid UTF-8 is passed to
 * git through a NUL-separated pathspec file, never decoded).
 *
 * @module
 */

import { join } from "node:path";
import { deniedReason, granted } from "../permissions.ts";
import { concatBytes, pathText, utf8OrNull } from "./quote.ts";
import type { ParsedStatus } from "./status.ts";
import type { SkippedFile } from "./types.ts";
import { type Deadline, runGit, runGitTimed } from "./run.ts";

/** The `reason` of an oversize untracked file in `skipped`. */
export const SKIP_TOO_LARGE = "larger than snapshotMaxFileBytes";

/** The `reason` of an untracked nested repository without commits, in `skipped`. */
export const SKIP_NO_COMMIT = "nested repository without commits";

/** The `reason` of an untracked file git could not read, in `skipped`. */
export const SKIP_UNREADABLE = "unreadable";

/** The `reason` of an untracked nested repository whose name is not UTF-8 (git cannot be pointed at it). */
const SKIP_NOT_UTF8 = "nested repository whose name is not valid UTF-8";

/** Above this many changed paths (or bytes of them), stage with `git add --all` instead of naming them. */
const MAX_NAMED_PATHS = 2000;
const MAX_NAMED_BYTES = 96 * 1024;

const encoder = new TextEncoder();
const SLASH = 47;

/**
 * A pathspec that excludes one literal path (relative to the top level).
 *
 * @param path The path.
 * @returns The pathspec, as text or (for a name that is not UTF-8) bytes.
 */
export function excludeSpec(path: string | Uint8Array): string | Uint8Array {
  const magic = ":(top,exclude,literal)";
  if (typeof path === "string") return magic + path;
  const text = utf8OrNull(path);
  if (text !== null) return magic + text;
  return concatBytes([encoder.encode(magic), path]);
}

/** What {@linkcode sizeUntracked} found. */
export interface Sized {
  /** How many untracked files could not be sized (no read permission). */
  unknown: number;
  /** The paths left out (bytes), in the order of `skipped`. */
  left: Uint8Array[];
}

/**
 * Sizes untracked files; oversize and unsizable ones go to `skipped`.
 *
 * @param top The top level.
 * @param paths The untracked paths.
 * @param options The size limit, and the list to add skipped files to.
 * @returns How many could not be sized, and the paths left out.
 */
export function sizeUntracked(
  top: string,
  paths: Uint8Array[],
  options: { max: number; skipped: SkippedFile[] },
): Sized {
  const { max, skipped } = options;
  const res: Sized = { unknown: 0, left: [] };
  const skip = (p: Uint8Array, bytes: number | null, reason: string) => {
    skipped.push({ path: pathText(p), bytes, reason });
    res.left.push(p);
  };
  const all = granted({ name: "read", path: top });
  for (const bytes of paths) {
    const p = utf8OrNull(bytes);
    if (bytes[bytes.length - 1] === SLASH) {
      // A nested repository is added as a gitlink, which needs a commit: one
      // without any would fail the whole snapshot, so it is left out.
      if (p === null) {
        skip(bytes, null, SKIP_NOT_UTF8);
        continue;
      }
      const head = runGit([
        "-C",
        join(top, p),
        "rev-parse",
        "--verify",
        "-q",
        "HEAD",
      ]);
      if (head.code !== 0) skip(bytes, null, SKIP_NO_COMMIT);
      continue;
    }
    // A name that is not UTF-8 cannot be named to Deno: staged unsized.
    if (p === null) continue;
    const abs = join(top, p);
    if (!all && !granted({ name: "read", path: abs })) {
      const why = deniedReason({ name: "read", path: abs });
      skip(bytes, null, `size unknown: ${why}`);
      res.unknown++;
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(abs);
    } catch {
      continue; // vanished since status: git add will not see it either
    }
    if (info.isFile && info.size > max) skip(bytes, info.size, SKIP_TOO_LARGE);
  }
  return res;
}

/** How {@linkcode stage} runs. */
export interface StageOptions {
  /** The top level. */
  top: string;
  /** git's leading arguments naming the repository (`-C top --git-dir=... --work-tree=...`). */
  repo: string[];
  /** The environment naming the temporary index. */
  env: Record<string, string>;
  /** Whether the temporary index was read from HEAD (not a copy of the real index). */
  fresh: boolean;
  /** The pathspecs of the whole tree minus the exprag directory. */
  specs: string[];
  /** Untracked files left out (listed; more may be added: unreadable ones). */
  skipped: SkippedFile[];
  /** Their paths as bytes. */
  left: Uint8Array[];
  /** A temporary file for long pathspec lists. */
  pathspecFile: string;
  /** The time limit of filter-running commands. */
  deadline: Deadline;
}

/** What differs between the temporary index and the worktree, as paths to update and to remove. */
function namedPaths(parsed: ParsedStatus, o: StageOptions) {
  const left = new Set(o.left.map((p) => p.join(",")));
  const updated: Uint8Array[] = [];
  const removed: Uint8Array[] = [];
  // With a copy of the real index, the worktree side of status (Y); with an
  // index read from HEAD (fresh), both sides (X and Y).
  for (const c of parsed.changes) {
    if (
      o.fresh && c.orig !== undefined && c.x === "R" &&
      c.orig.join(",") !== c.path.join(",")
    ) {
      removed.push(c.orig);
    }
    if (c.y === "D" || (o.fresh && c.x === "D" && c.y === ".")) {
      removed.push(c.path);
    } else if (c.y !== "." || (o.fresh && c.x !== ".")) updated.push(c.path);
  }
  for (const p of parsed.untracked) {
    if (left.has(p.join(","))) continue;
    updated.push(p[p.length - 1] === SLASH ? p.subarray(0, -1) : p);
  }
  return { updated, removed };
}

/** Stages named paths whose names are UTF-8 with one `update-index`. */
function updateIndex(
  updated: string[],
  removed: string[],
  o: StageOptions,
): boolean {
  // One call; options apply to the paths after them. "./" keeps a path
  // that starts with "-" from being read as an option.
  const args = [...o.repo, "-c", "core.splitIndex=false", "update-index"];
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
  return runGitTimed(args, { env: o.env, deadline: o.deadline }).code === 0;
}

/** `git add --all --ignore-errors` over pathspecs (a NUL-separated file when long or not UTF-8). */
function addAll(specs: (string | Uint8Array)[], o: StageOptions) {
  const addArgs = [
    ...o.repo,
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
  const bytes = specs.reduce((n, s) => n + s.length + 1, 0);
  if (bytes > MAX_NAMED_BYTES || specs.some((s) => typeof s !== "string")) {
    const nul = new Uint8Array([0]);
    const parts = specs.flatMap((
      s,
    ) => [typeof s === "string" ? encoder.encode(s) : s, nul]);
    Deno.writeFileSync(o.pathspecFile, concatBytes(parts));
    return runGitTimed([
      ...addArgs,
      `--pathspec-from-file=${o.pathspecFile}`,
      "--pathspec-file-nul",
    ], { env: o.env, deadline: o.deadline });
  }
  return runGitTimed([...addArgs, "--", ...specs as string[]], {
    env: o.env,
    deadline: o.deadline,
  });
}

/**
 * Stages the worktree into the temporary index. Fast path: hand exactly the
 * paths status reported to `git update-index` (no second scan of the
 * worktree); names that are not UTF-8 go to `git add` as literal pathspecs.
 * Fallback (many paths, or an unreadable file): `git add --all` over the
 * whole tree minus the exprag directory and the skipped files.
 *
 * @param parsed What status reported.
 * @param options Where and how.
 * @returns null on success, else the error.
 */
export function stage(
  parsed: ParsedStatus,
  options: StageOptions,
): string | null {
  const o = options;
  const { updated, removed } = namedPaths(parsed, o);
  const count = updated.length + removed.length;
  const bytes = [...updated, ...removed].reduce((n, p) => n + p.length + 1, 0);
  if (count <= MAX_NAMED_PATHS && bytes <= MAX_NAMED_BYTES) {
    const text = (ps: Uint8Array[]) =>
      ps.map(utf8OrNull).filter((p) => p !== null);
    const raw = [...updated, ...removed].filter((p) => utf8OrNull(p) === null);
    const up = text(updated);
    const rm = text(removed);
    let ok = up.length + rm.length === 0 || updateIndex(up, rm, o);
    if (ok && raw.length > 0) {
      const literal = encoder.encode(":(top,literal)");
      ok = addAll(raw.map((p) => concatBytes([literal, p])), o).code === 0;
    }
    if (ok) return null;
    // e.g. an unreadable file: fall back to add --all --ignore-errors
  }
  const add = addAll([...o.specs, ...o.left.map(excludeSpec)], o);
  if (add.code === 0) return null;
  const err = addFailure(add.stderr, o.skipped);
  return err === null ? null : `git add failed: ${err}`;
}

/**
 * Interprets a failed `git add --all --ignore-errors`: unreadable files are
 * listed in `skipped` (the rest was staged); the notice about pathspecs that
 * name ignored paths (our exclusion of an ignored exprag directory) is benign.
 *
 * @returns null when the index was written, else the error.
 */
function addFailure(stderr: string, skipped: SkippedFile[]): string | null {
  const seen = new Set<string>();
  for (const line of stderr.split("\n")) {
    if (/are ignored by one of your \.gitignore files/.test(line)) continue;
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
