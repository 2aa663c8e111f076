/**
 * Where a capture takes place: the top level of a worktree, the repository
 * named absolutely, its real index and object format, and the pathspecs of
 * the whole tree minus the exprag directory. For the superproject, found as
 * git finds it (honouring `GIT_DIR`/`GIT_WORK_TREE`); for a submodule,
 * named explicitly (its own `.git`, never the superproject's environment).
 *
 * @module
 */

import { isAbsolute, join, relative, resolve } from "../path.ts";
import { granted } from "../permissions.ts";
import { revParse } from "./rev_parse.ts";
import { firstError } from "./run.ts";
import { excludeSpec } from "./stage.ts";

/** Where the worktree is: top level, real index, exprag directory, pathspecs. */
export interface Place {
  /** The top level (absolute). */
  top: string;
  /**
   * git's leading arguments for every later call: the top level and the
   * repository named absolutely, so that a relative `GIT_DIR` or
   * `GIT_WORK_TREE` in the environment (relative to the process's working
   * directory, as git resolves them) does not change meaning under `-C`.
   */
  repo: string[];
  /** The real index (absolute). */
  indexPath: string;
  /** Bytes of an object id: 20 (SHA-1) or 32 (SHA-256). */
  hashBytes: number;
  /** The exprag directory relative to `top`; null when outside. */
  rel: string | null;
  /** The pathspecs of the whole tree minus the exprag directory. */
  specs: string[];
  /**
   * HEAD and its tree as resolved when the place was found (superproject
   * only); null when unborn or not asked.
   */
  headTree?: { commit: string; tree: string } | null;
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
  const out = revParse(["-C", abs], [["--show-toplevel"], ["--show-prefix"]]);
  if (out.ok) {
    const [t, prefix] = out.answers;
    if (t === top) return prefix.replace(/\/$/, "");
  }
  return null;
}

function makePlace(
  top: string,
  found: { gitDir: string; indexPath: string; format: string },
  expragDir: string,
): Place {
  const repo = ["-C", top, `--git-dir=${found.gitDir}`, `--work-tree=${top}`];
  const rel = expragRelative(top, expragDir);
  const specs = [":/"];
  if (rel !== null && rel !== "") specs.push(excludeSpec(rel) as string);
  // The exprag dir is the top level itself: leave out its runs and our temp files.
  if (rel === "") {
    specs.push(excludeSpec("runs") as string, ":(top,exclude,glob).git-*.tmp*");
  }
  const hashBytes = found.format === "sha256" ? 32 : 20;
  return { top, repo, indexPath: found.indexPath, hashBytes, rel, specs };
}

/**
 * Finds the worktree around `cwd` as git does (environment included).
 *
 * @param o Where to look (default: the working directory), the exprag directory.
 * @returns The place, or why there is none.
 */
export function locate(o: { cwd?: string; expragDir: string }): Place | string {
  const out = revParse(o.cwd === undefined ? [] : ["-C", o.cwd], [
    ["--show-toplevel"],
    ["--show-prefix"],
    ["--git-path", "index"],
    ["--show-object-format"],
    ["--absolute-git-dir"],
  ], { revs: ["HEAD", "HEAD^{tree}"] });
  if (!out.ok) {
    const info = out.failed;
    if (/not a git repository/i.test(info.stderr)) {
      return "not a git repository";
    }
    if (/must be run in a work tree/i.test(info.stderr)) {
      return "not inside a git work tree";
    }
    return `git rev-parse failed: ${firstError(info)}`;
  }
  const [top, prefix, indexOut, format, gitDir] = out.answers;
  const indexPath = isAbsolute(indexOut)
    ? indexOut
    : join(top, prefix, indexOut);
  const place = makePlace(top, { gitDir, indexPath, format }, o.expragDir);
  const [commit, tree] = out.revs ?? [];
  place.headTree = out.revs === null ? null : { commit, tree };
  return place;
}

/**
 * The place of a submodule checked out at `top`: its repository named by
 * its own `.git` (a gitfile or a directory), so that the superproject's
 * `GIT_DIR`/`GIT_WORK_TREE` never apply.
 *
 * @param top The submodule's worktree (absolute).
 * @param expragDir The exprag directory.
 * @returns The place, or why there is none.
 */
export function submodulePlace(top: string, expragDir: string): Place | string {
  const out = revParse(
    ["-C", top, `--git-dir=${join(top, ".git")}`, `--work-tree=${top}`],
    [["--absolute-git-dir"], ["--git-path", "index"], ["--show-object-format"]],
  );
  if (!out.ok) {
    return `not a checked-out submodule: ${firstError(out.failed)}`;
  }
  const [gitDir, indexOut, format] = out.answers;
  const indexPath = resolve(top, indexOut);
  return makePlace(top, { gitDir, indexPath, format }, expragDir);
}
