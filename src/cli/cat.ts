/**
 * `exprag cat RUN PATH`: one file as it was in a run's code, read from the
 * run's validated commit (no worktree needed), bytes written as they are.
 * PATH is relative to the repository's top level and confined to it; a
 * file inside a submodule is read from the submodule's commit in the run's
 * tree (the run's snapshot of it when it recorded one, `git.submodules`).
 *
 * Requires `--allow-read=<exprag dir> --allow-run=git` (checked by cli.ts).
 *
 * @module
 */

import { join, posix } from "../path.ts";
import { resolveRef } from "./common.ts";
import type { Context } from "./context.ts";
import { escapeText, json, stderrLine } from "./format.ts";
import {
  gitFailure,
  gitIn,
  resolveCommit,
  runCode,
  toplevel,
} from "./gitsafe.ts";
import { NotFoundError } from "../errors.ts";
import { confinedPath } from "./repo_path.ts";
import { execGitRaw } from "../git/exec.ts";
import { editDistance } from "../edit_distance.ts";

/** One entry of a tree listing (`git ls-tree -r -t`). */
interface Entry {
  /** `100644`, `100755`, `120000`, `160000`, `040000`. */
  mode: string;
  /** `blob`, `tree` or `commit` (a gitlink). */
  type: string;
  /** The object id. */
  oid: string;
  /** The path relative to the tree's top. */
  path: string;
}

/** Every entry of a commit's tree, trees and gitlinks included (not descending into submodules). */
function listTree(dir: string | undefined, sha: string): Entry[] {
  const r = gitIn(dir, ["ls-tree", "-r", "-t", "-z", "--full-tree", sha, "--"]);
  if (r.code !== 0) throw gitFailure("git ls-tree", r);
  return r.stdout.split("\0").flatMap((e) => {
    const m = /^(\d{6}) (blob|tree|commit) ([0-9a-f]{40,64})\t(.*)$/s.exec(e);
    return m === null
      ? []
      : [{ mode: m[1], type: m[2], oid: m[3], path: m[4] }];
  });
}

/**
 * The path of a tree closest to a missing one: the same file name
 * elsewhere, else the nearest by edit distance (within a third of its
 * length).
 *
 * @param path The missing path.
 * @param paths The tree's file paths.
 * @returns The suggestion, or undefined.
 */
export function closestPath(
  path: string,
  paths: readonly string[],
): string | undefined {
  const base = posix.basename(path);
  const same = paths.filter((p) => posix.basename(p) === base);
  if (same.length > 0) {
    return same.sort((x, y) =>
      editDistance(path, x) - editDistance(path, y)
    )[0];
  }
  if (paths.length > 20000 || path.length > 200) return undefined;
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(path.length / 3)) + 1;
  for (const p of paths) {
    if (Math.abs(p.length - path.length) >= bestD) continue;
    const d = editDistance(path, p);
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best;
}

/** Where the file was found: the repository holding it and its blob. */
interface Found {
  /** The repository directory (undefined: the current one). */
  dir: string | undefined;
  /** The commit read in it. */
  sha: string;
  /** The blob's entry. */
  entry: Entry;
}

/** Options of {@linkcode findFile}. */
interface FindOptions {
  /** The run id (for messages). */
  run: string;
  /** The top level of the repository at `dir`. */
  top: string;
  /** The path of `dir` below the superproject's top ("" for it). */
  prefix: string;
  /** The run's recorded submodule snapshots, by path below the superproject. */
  recorded: ReadonlyMap<string, string>;
}

/** The error for a path the run's tree lacks, with a suggestion. */
function missing(
  o: FindOptions,
  path: string,
  entries: Entry[],
): NotFoundError {
  const files = entries.filter((e) => e.type !== "tree").map((e) => e.path);
  const near = closestPath(path, files);
  const full = (p: string) => escapeText(o.prefix + p);
  return new NotFoundError(
    `${full(path)} is not in the code of run ${o.run}${
      near === undefined ? "" : `; did you mean ${full(near)}?`
    }`,
  );
}

/** Finds PATH in the tree of `sha`, descending into submodules. */
function findFile(
  dir: string | undefined,
  sha: string,
  path: string,
  o: FindOptions,
): Found {
  const entries = listTree(dir, sha);
  const exact = entries.find((e) => e.path === path);
  if (exact?.type === "blob") return { dir, sha, entry: exact };
  if (exact?.type === "tree") {
    throw new NotFoundError(
      `${
        escapeText(o.prefix + path)
      } is a directory in the code of run ${o.run}, not a file`,
    );
  }
  const link = entries.find((e) =>
    e.type === "commit" && (path === e.path || path.startsWith(`${e.path}/`))
  );
  if (link === undefined) throw missing(o, path, entries);
  const subPath = o.prefix + link.path;
  if (path === link.path) {
    throw new NotFoundError(
      `${
        escapeText(subPath)
      } is a submodule (at commit ${link.oid}) in the code of run ${o.run}, not a file`,
    );
  }
  const recorded = o.recorded.get(subPath);
  const commit = recorded ?? link.oid;
  const subDir = join(o.top, link.path);
  const subTop = gitIn(subDir, ["rev-parse", "--show-toplevel"]);
  const checkedOut = subTop.code === 0 &&
    subTop.stdout.replace(/\n$/, "") === subDir;
  const subSha = checkedOut ? resolveCommit(commit, subDir) : undefined;
  if (subSha === undefined) {
    throw new NotFoundError(
      `${escapeText(o.prefix + path)} is inside submodule ${
        escapeText(subPath)
      }, whose commit ${commit} in run ${o.run}${
        recorded === undefined ? "" : " (its recorded snapshot)"
      } is not in ${
        checkedOut ? "that submodule's repository" : "a checked-out submodule"
      } here; run git submodule update --init ${escapeText(subPath)} first`,
    );
  }
  return findFile(subDir, subSha, path.slice(link.path.length + 1), {
    ...o,
    top: subDir,
    prefix: `${subPath}/`,
  });
}

/** Base64 of bytes (in chunks: a spread of a large array overflows the stack). */
function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/** Writes bytes to stdout as they are; a closed pipe ends quietly. */
function writeBytes(bytes: Uint8Array): void {
  let off = 0;
  try {
    while (off < bytes.length) {
      off += Deno.stdout.writeSync(bytes.subarray(off));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

/**
 * Runs `cat`.
 *
 * @param ctx The invocation.
 * @returns The exit code.
 */
export async function run(ctx: Context): Promise<number> {
  const path = confinedPath(ctx.args[1], "cat: PATH");
  const info = await resolveRef(ctx, ctx.args[0]);
  const top = toplevel();
  const code = runCode(info);
  if (code.uncaptured !== null) {
    stderrLine(
      `exprag: note: run ${code.run} was dirty but its uncommitted edits were not captured (${code.uncaptured}): this is the file in its base commit`,
    );
  }
  const recorded = new Map(code.submodules.map((s) => [s.path, s.commit]));
  const found = findFile(undefined, code.sha, path, {
    run: code.run,
    top,
    prefix: "",
    recorded,
  });
  const { oid } = found.entry;
  // the object id comes from git's own listing: hex, never an option
  const r = execGitRaw([
    ...(found.dir === undefined ? [] : ["-C", found.dir]),
    "cat-file",
    "blob",
    oid,
  ]);
  if (r.code !== 0) {
    throw gitFailure("git cat-file", { ...r, stdout: "" });
  }
  if (ctx.json) {
    let text: string | null = null;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(r.stdout);
    } catch {
      // binary: base64 below
    }
    json(ctx.out, {
      run: code.run,
      commit: code.sha,
      path,
      mode: found.entry.mode,
      bytes: r.stdout.length,
      text,
      base64: text === null ? base64(r.stdout) : null,
    });
    return 0;
  }
  ctx.out.flush();
  writeBytes(r.stdout);
  return 0;
}
