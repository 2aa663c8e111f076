/**
 * Staging a worktree into a temporary index for a snapshot: sizing the
 * untracked files, then handing git exactly the paths status reported.
 * Paths are bytes throughout (a name that is not valid UTF-8 is passed to
 * git through a NUL-separated pathspec file, never decoded).
 *
 * @module
 */

import { join } from "../path.ts";
import { deniedReason, granted } from "../permissions.ts";
import { concatBytes, pathText, utf8OrNull } from "./quote.ts";
import type { ParsedStatus } from "./status.ts";
import type { SkippedFile } from "./types.ts";
import {
  type FileStat,
  fileStat,
  type Touched,
  type TouchedPath,
  unchangedSince,
} from "./index_cache.ts";
import { type Deadline, runGit, runGitTimed } from "./run.ts";

/** The `reason` of an oversize untracked file in `skipped`. */
export const SKIP_TOO_LARGE = "larger than snapshotMaxFileBytes";

/** The `reason` of an untracked nested repository without commits, in `skipped`. */
export const SKIP_NO_COMMIT = "nested repository without commits";

/** The `reason` of an untracked file git could not read, in `skipped`. */
export const SKIP_UNREADABLE = "unreadable";

/** The `reason` of an untracked nested repository whose name is not UTF-8 (git cannot be pointed at it). */
const SKIP_NOT_UTF8 = "nested repository whose name is not valid UTF-8";

/** Bytes of paths named to one `update-index` (more: several calls); halved when the system refuses. */
const NAMED_BYTES_PER_CALL = Deno.build.os === "windows"
  ? 24 * 1024
  : 256 * 1024;
/** The least per-call budget tried before giving up on naming paths. */
const MIN_NAMED_BYTES = 8 * 1024;
/** Above this many calls, stage with `git add --all` instead of naming paths. */
const MAX_NAMED_CALLS = 64;
/** Bytes of pathspecs given to `git add` as arguments (more: a pathspec file). */
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
  /** Each path's stat (same order as the paths); null when not read. */
  stats: (FileStat | null)[];
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
  const res: Sized = { unknown: 0, left: [], stats: [] };
  const skip = (p: Uint8Array, bytes: number | null, reason: string) => {
    skipped.push({ path: pathText(p), bytes, reason });
    res.left.push(p);
  };
  const all = granted({ name: "read", path: top });
  for (const bytes of paths) {
    const p = utf8OrNull(bytes);
    res.stats.push(null);
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
    const abs = top + "/" + p; // git's paths are normalized and relative
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
    else res.stats[res.stats.length - 1] = fileStat(info);
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
  /** The untracked files' stats ({@linkcode sizeUntracked}, same order as status). */
  stats: (FileStat | null)[];
  /** {@linkcode Touched.statTimeMs} of this snapshot. */
  statTimeMs: number;
  /**
   * When the temporary index is a reused one (`index_cache.ts`): the paths
   * its snapshot changed, brought back in line with the worktree here
   * (those unchanged since are not named again).
   */
  previous?: Touched;
  /** Skip-worktree paths whose file is absent (the real index's entry stays). */
  sparse?: Uint8Array[];
}

/** What {@linkcode stage} did. */
export interface Staged {
  /** null on success, else the error. */
  error: string | null;
  /** The paths named (for the next reuse of the index); null when the whole tree was added. */
  touched: Touched | null;
  /** Naming the paths failed in a reused index: seed from the real index and stage again. */
  retry?: boolean;
}

/** A path's bytes as a string key (windows-1252 maps every byte to its own character). */
const bytesKey = new TextDecoder("latin1");
const key = (p: Uint8Array) => bytesKey.decode(p);

/** The stat of a path under the top level; null when it cannot be read. */
function lstatOf(top: string, path: Uint8Array): FileStat | null {
  const p = utf8OrNull(path);
  if (p === null) return null;
  const abs = top + "/" + p;
  if (!granted({ name: "read", path: abs })) return null;
  try {
    return fileStat(Deno.lstatSync(abs));
  } catch {
    return null;
  }
}

/**
 * What differs between the temporary index and the worktree, as paths to
 * update and to remove, and every path this snapshot changes in the index
 * (for a reuse of the index).
 *
 * In a reused index (`o.previous`), a path its snapshot handed to git whose
 * file is unchanged since ({@linkcode unchangedSince}) already has the
 * right entry, and a path it removed is still removed: neither is named
 * again. The paths it named that status does not report now are: files
 * untracked then and not now (deleted, ignored, left out) are removed,
 * tracked ones updated (to the real index's content when reverted).
 *
 * A path named again whose entry that snapshot wrote is also in `renew`:
 * its entry is removed before it is added, so that git hashes the file.
 * git trusts an entry whose stat data match the file, comparing whole
 * seconds: a file rewritten with its size and modification time kept, in
 * the second of that entry's status change time, would otherwise keep the
 * old content (the real index never holds such an entry of an untracked
 * file, so a copy of it plus `git add` never keeps stale content there).
 */
function namedPaths(parsed: ParsedStatus, o: StageOptions) {
  const left = new Set(o.left.map(key));
  const updated: Uint8Array[] = [];
  const removed: Uint8Array[] = [];
  const renew: Uint8Array[] = [];
  const touched: TouchedPath[] = [];
  const prev = o.previous;
  const before = prev === undefined
    ? null
    : new Map(prev.paths.map((t) => [key(t.path), t]));
  /** Whether the reused index holds an entry that snapshot wrote for the path. */
  const fromPrevious = (k: string) => {
    const t = before?.get(k);
    return t !== undefined && t.kind !== "removed";
  };
  const update = (p: Uint8Array, k: string) => {
    updated.push(p);
    if (fromPrevious(k)) renew.push(p);
  };
  const seen = new Set<string>();
  const indexSide: { path: Uint8Array; k: string; gone: boolean }[] = [];
  const trusted = (k: string, kind: string, stat: FileStat | null) => {
    const t = before?.get(k);
    return t !== undefined && t.kind === kind && t.stat !== null &&
      stat !== null && unchangedSince(t.stat, stat, prev!.statTimeMs);
  };
  // With a copy of the real index, the worktree side of status (Y); with an
  // index read from HEAD (fresh), both sides (X and Y).
  for (const c of parsed.changes) {
    const k = key(c.path);
    seen.add(k);
    if (c.orig !== undefined) {
      const ko = key(c.orig);
      seen.add(ko);
      // renamed in the real index: not in it (and, when that snapshot
      // changed its entry, removed again unless untracked now, below);
      // renamed in the worktree (an intent-to-add target): gone there
      const indexRename = c.x === "R" && ko !== k;
      const worktreeRename = c.y === "R" && ko !== k;
      touched.push({
        path: c.orig,
        kind: indexRename
          ? "untracked"
          : worktreeRename
          ? "removed"
          : "tracked",
        stat: null,
      });
      if ((o.fresh && indexRename) || worktreeRename) removed.push(c.orig);
      else if (indexRename && fromPrevious(ko)) {
        indexSide.push({ path: c.orig, k: ko, gone: true });
      }
    }
    if (c.y === "D" || (o.fresh && c.x === "D" && c.y === ".")) {
      touched.push({ path: c.path, kind: "removed", stat: null });
      if (before?.get(k)?.kind !== "removed") removed.push(c.path);
    } else if (c.y !== "." || (o.fresh && c.x !== ".")) {
      // a submodule's state is not its directory's stat: always named
      const sub = c.sub !== undefined && c.sub[0] === "S";
      const stat = o.fresh || sub ? null : lstatOf(o.top, c.path);
      touched.push({ path: c.path, kind: "tracked", stat });
      if (!trusted(k, "tracked", stat)) update(c.path, k);
    } else {
      // Only the index side changed: the entry to keep is the real index's
      // (none when it deletes the path), brought back below if that
      // snapshot changed it (e.g. added the file as untracked then).
      const gone = c.x === "D";
      touched.push({
        path: c.path,
        kind: gone ? "untracked" : "tracked",
        stat: null,
      });
      if (fromPrevious(k)) indexSide.push({ path: c.path, k, gone });
    }
  }
  const untracked = parsed.untracked;
  const untrackedNow = new Set<string>();
  for (let i = 0; i < untracked.length; i++) {
    const p = untracked[i];
    const k = key(p);
    if (left.has(k)) continue;
    // a nested repository (gitlink to its HEAD): always named
    const repo = p[p.length - 1] === SLASH;
    const q = repo ? p.subarray(0, -1) : p;
    const kq = repo ? key(q) : k;
    const stat = repo ? null : o.stats[i] ?? null;
    seen.add(kq);
    untrackedNow.add(kq);
    touched.push({ path: q, kind: "untracked", stat });
    if (!trusted(kq, "untracked", stat)) update(q, kq);
  }
  for (const s of indexSide) {
    if (untrackedNow.has(s.k)) continue; // as untracked, above
    if (s.gone) removed.push(s.path);
    else update(s.path, s.k); // the worktree is the real index's entry
  }
  // A skip-worktree file that snapshot changed and that is absent now: its
  // entry is the real index's, which only a copy of that index holds.
  let needsCopy = false;
  if (before !== null) {
    const sparse = new Set((o.sparse ?? []).map(key));
    for (const [k, t] of before) {
      if (seen.has(k)) continue;
      if (sparse.has(k)) needsCopy = true;
      if (t.kind === "untracked") removed.push(t.path);
      else update(t.path, k);
    }
  }
  // An attributes file changed since that snapshot: its entries of
  // unchanged files may hold blobs hashed under other attributes.
  if (before !== null && !needsCopy) {
    needsCopy = updated.some(isAttributes) || removed.some(isAttributes);
  }
  return {
    needsCopy,
    updated,
    removed,
    renew,
    touched: { paths: touched, statTimeMs: o.statTimeMs },
  };
}

const ATTRIBUTES = encoder.encode(".gitattributes");

/** Whether a path names a `.gitattributes` file. */
function isAttributes(p: Uint8Array): boolean {
  const n = ATTRIBUTES.length;
  if (p.length < n || (p.length > n && p[p.length - n - 1] !== SLASH)) {
    return false;
  }
  for (let i = 0; i < n; i++) {
    if (p[p.length - n + i] !== ATTRIBUTES[i]) return false;
  }
  return true;
}

/** Whether spawning failed because the arguments were too long (E2BIG). */
function tooLong(e: unknown): boolean {
  return e instanceof Error &&
    /argument list too long|os error 7\b|filename or extension is too long|os error 206\b/i
      .test(e.message);
}

/**
 * Stages named paths whose names are UTF-8: `update-index`, removals
 * first, in as few calls as the system's argument limit allows.
 *
 * @returns Whether every call succeeded; null when there were too many paths.
 */
function updateIndex(
  updated: string[],
  removed: string[],
  o: StageOptions,
): boolean | null {
  const base = [...o.repo, "-c", "core.splitIndex=false", "update-index"];
  // "./" keeps a path that starts with "-" from being read as an option.
  const items = [
    ...removed.map((p) => ({ rm: true, arg: `./${p}` })),
    ...updated.map((p) => ({ rm: false, arg: `./${p}` })),
  ];
  for (let budget = NAMED_BYTES_PER_CALL; budget >= MIN_NAMED_BYTES;) {
    const calls: string[][] = [];
    let args: string[] = [];
    let bytes = 0;
    let mode: boolean | null = null;
    for (const it of items) {
      if (args.length > 0 && bytes + it.arg.length + 1 > budget) {
        calls.push(args);
        args = [];
        bytes = 0;
        mode = null;
      }
      if (mode !== it.rm) {
        // options apply to the paths after them
        if (it.rm) args.push("--force-remove");
        else args.push("--no-force-remove", "--add", "--remove", "--replace");
        mode = it.rm;
      }
      args.push(it.arg);
      bytes += it.arg.length + 1;
    }
    if (args.length > 0) calls.push(args);
    if (calls.length > MAX_NAMED_CALLS) return null;
    try {
      for (const a of calls) {
        const r = runGitTimed([...base, ...a], {
          env: o.env,
          deadline: o.deadline,
        });
        if (r.code !== 0) return false;
      }
      return true;
    } catch (e) {
      if (!tooLong(e)) throw e;
      budget = Math.floor(budget / 2);
    }
  }
  return null;
}

/** Writes pathspecs to the pathspec file, NUL-separated: the arguments that name it. */
function pathspecFileArgs(
  specs: (string | Uint8Array)[],
  o: StageOptions,
): string[] {
  const nul = new Uint8Array([0]);
  const parts = specs.flatMap((
    s,
  ) => [typeof s === "string" ? encoder.encode(s) : s, nul]);
  Deno.writeFileSync(o.pathspecFile, concatBytes(parts));
  return [`--pathspec-from-file=${o.pathspecFile}`, "--pathspec-file-nul"];
}

/** `git rm --cached` of literal pathspecs (given in the pathspec file): their entries only, never a file. */
function removeCached(specs: Uint8Array[], o: StageOptions) {
  return runGitTimed([
    ...o.repo,
    "-c",
    "core.splitIndex=false",
    "rm",
    "--cached",
    "-f",
    "-q",
    "--ignore-unmatch",
    ...pathspecFileArgs(specs, o),
  ], { env: o.env, deadline: o.deadline });
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
    return runGitTimed([...addArgs, ...pathspecFileArgs(specs, o)], {
      env: o.env,
      deadline: o.deadline,
    });
  }
  return runGitTimed([...addArgs, "--", ...specs as string[]], {
    env: o.env,
    deadline: o.deadline,
  });
}

/**
 * Stages the worktree into the temporary index. Fast path: hand exactly the
 * paths status reported (and, in a reused index, the paths its snapshot
 * named) to `git update-index` (no second scan of the worktree; an entry
 * whose stat data still match is not hashed again); names that are not
 * UTF-8 go to `git add` as literal pathspecs. Fallback (more paths than
 * {@linkcode MAX_NAMED_CALLS} calls take, or an unreadable file): `git add
 * --all` over the whole tree minus the exprag directory and the skipped
 * files (in a reused index: `retry`, for a copy of the real index).
 *
 * @param parsed What status reported.
 * @param options Where and how.
 * @returns The error (null on success) and the paths named.
 */
export function stage(
  parsed: ParsedStatus,
  options: StageOptions,
): Staged {
  const o = options;
  const { needsCopy, updated, removed, renew, touched } = namedPaths(parsed, o);
  if (needsCopy) return { error: null, touched: null, retry: true };
  const sort = (ps: Uint8Array[], raw: Uint8Array[]) => {
    const out: string[] = [];
    for (const p of ps) {
      const t = utf8OrNull(p);
      if (t === null) raw.push(p);
      else out.push(t);
    }
    return out;
  };
  // Names that are not UTF-8 cannot be arguments: removed by `git rm
  // --cached` (`git add` would update an entry of a file ignored since),
  // added by `git add`, both through the pathspec file.
  const raw: Uint8Array[] = [];
  const rawRemoved: Uint8Array[] = [];
  // removals go first: a renewed path is removed, then added (hashed)
  const rm = [...sort(removed, rawRemoved), ...sort(renew, rawRemoved)];
  const up = sort(updated, raw);
  let ok = up.length + rm.length === 0 ? true : updateIndex(up, rm, o);
  const literal = encoder.encode(":(top,literal)");
  const literals = (ps: Uint8Array[]) =>
    ps.map((p) => concatBytes([literal, p]));
  if (ok === true && rawRemoved.length > 0) {
    ok = removeCached(literals(rawRemoved), o).code === 0;
  }
  if (ok === true && raw.length > 0) ok = addAll(literals(raw), o).code === 0;
  if (ok === true) return { error: null, touched };
  if (o.previous !== undefined) {
    return { error: null, touched: null, retry: true };
  }
  // e.g. an unreadable file: fall back to add --all --ignore-errors
  const add = addAll([...o.specs, ...o.left.map(excludeSpec)], o);
  if (add.code === 0) return { error: null, touched: null };
  const err = addFailure(add.stderr, o.skipped);
  return {
    error: err === null ? null : `git add failed: ${err}`,
    touched: null,
  };
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
