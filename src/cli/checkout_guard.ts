/**
 * Which files an in-place `git checkout` would silently overwrite or
 * delete: ignored files present in the worktree at or below a path that
 * git replaces, or at a directory git would create. git refuses to
 * overwrite untracked files but overwrites and deletes ignored ones (an
 * ignored file where the target commit has a file, inside a directory the
 * target commit turns into a file or a symlink, or where it needs a
 * directory), and checking out the previous commit afterwards deletes
 * them: exprag checks first and refuses. Untracked files that are not
 * ignored block the checkout only where it would overwrite or delete them
 * (git refuses those too; exprag says so first, listing them); all others
 * stay where they are, through the checkout and back.
 *
 * Requires `--allow-run=git` (checked by cli.ts).
 *
 * @module
 */

import { RefusedError } from "../errors.ts";
import { escapeText } from "./format.ts";
import { gitFailure, gitIn } from "./gitsafe.ts";

/** How many literal pathspecs one `git ls-files` call receives. */
const PATHSPEC_BATCH = 200;

function nul(text: string): string[] {
  return text.split("\0").filter((p) => p !== "");
}

/**
 * The paths (from the top level) that a checkout of the commit replaces:
 * those the commit has and the current HEAD lacks (the files it creates,
 * which replace whatever lies at or below them), those HEAD has and the
 * commit lacks (the files it deletes), and those whose type changes.
 *
 * @param sha The target commit, a full hash.
 * @param specs Pathspecs limiting the comparison.
 * @param dir The worktree (a submodule's); default: the current directory.
 * @returns The paths.
 */
export function changedPaths(
  sha: string,
  specs: readonly string[],
  dir?: string,
): string[] {
  const head = gitIn(dir, ["rev-parse", "--verify", "-q", "HEAD^{commit}"]);
  const r = head.code === 0
    ? gitIn(dir, [
      "diff",
      "--name-only",
      "-z",
      "--no-renames",
      "--diff-filter=ADT",
      "--end-of-options",
      head.stdout.trim(),
      sha,
      "--",
      ...specs,
    ])
    : gitIn(dir, [
      "ls-tree",
      "-r",
      "-z",
      "--name-only",
      "--full-tree",
      sha,
      "--",
    ]);
  if (r.code !== 0) throw gitFailure("git diff", r);
  return nul(r.stdout);
}

/** Which files not tracked to look at: ignored ones, or the others. */
type Untracked = "ignored" | "untracked";

function untrackedPresent(
  specs: readonly string[],
  o: { collapse: boolean; kind: Untracked; dir: string | undefined },
): string[] {
  const { collapse, kind, dir } = o;
  const args = ["ls-files", "-z", "--others"];
  if (kind === "ignored") args.push("--ignored");
  args.push("--exclude-standard", "--full-name");
  if (collapse) args.push("--directory");
  const r = gitIn(dir, [...args, "--", ...specs]);
  if (r.code !== 0) throw gitFailure("git ls-files", r);
  return nul(r.stdout);
}

/**
 * The files of one kind (ignored, or untracked and not ignored) that
 * checking out in place would overwrite or delete: at or below a path the
 * checkout replaces (an untracked directory, or one the commit turns into a
 * file or a symlink, is listed with its contents), or where it needs a
 * directory. The paths are from the top level, sorted; empty when none.
 */
function collisions(
  changed: readonly string[],
  specs: readonly string[],
  o: { kind: Untracked; dir: string | undefined },
): string[] {
  const { kind, dir } = o;
  if (changed.length === 0) return [];
  // untracked directories come collapsed (`build/`): bounded output
  const entries = untrackedPresent(specs, { collapse: true, kind, dir });
  if (entries.length === 0) return [];
  const found = new Set<string>();
  const maybe: string[] = [];
  const replaced = new Set(changed);
  const exact = new Set(entries.filter((e) => !e.endsWith("/")));
  const dirs = entries.filter((e) => e.endsWith("/"));
  // a file or directory at or below a replaced path: git deletes
  // it to put the commit's file (or symlink) there
  for (const e of entries) {
    const p = e.endsWith("/") ? e.slice(0, -1) : e;
    if (replaced.has(p)) found.add(e);
    for (let at = p.indexOf("/"); at > 0; at = p.indexOf("/", at + 1)) {
      if (replaced.has(p.slice(0, at))) found.add(e);
    }
  }
  for (const p of changed) {
    if (dirs.some((d) => p.startsWith(d))) maybe.push(p);
    // a file where the commit has a directory: git would delete it
    for (let at = p.indexOf("/"); at > 0; at = p.indexOf("/", at + 1)) {
      if (exact.has(p.slice(0, at))) found.add(p.slice(0, at));
    }
  }
  // a file under a collapsed directory: ask git about exactly it
  for (let i = 0; i < maybe.length; i += PATHSPEC_BATCH) {
    const batch = maybe.slice(i, i + PATHSPEC_BATCH)
      .map((p) => `:(top,literal)${p}`);
    const exactly = untrackedPresent(batch, { collapse: false, kind, dir });
    for (const p of exactly) found.add(p);
  }
  return [...found].sort();
}

/**
 * Refuses an in-place checkout that would lose the user's work: uncommitted
 * changes to tracked files, or files not tracked (ignored or not) that the
 * target commit would overwrite or delete. Other untracked files do not
 * block it: git leaves them alone.
 *
 * @param run The run id (for messages).
 * @param sha The target commit, a full hash.
 * @param o Pathspecs covering the worktree minus the exprag directory; the
 *   worktree (a submodule's; default: the current one) and how to name it.
 * @throws {RefusedError} When the checkout would lose anything.
 */
export function checkClean(
  run: string,
  sha: string,
  o: { specs: readonly string[]; dir?: string; what?: string },
): void {
  const { specs, dir, what = "the worktree" } = o;
  const status = gitIn(dir, [
    "status",
    "--porcelain",
    "-z",
    "--untracked-files=no",
    "--",
    ...specs,
  ]);
  if (status.code !== 0) throw gitFailure("git status", status);
  const changed = status.stdout.split("\0").filter((l) => l !== "");
  if (changed.length > 0) {
    const example = escapeText(changed[0].slice(3));
    throw new RefusedError(
      `refusing to check out run ${run}: ${what} has uncommitted changes to tracked files (${changed.length} path${
        changed.length === 1 ? "" : "s"
      }, e.g. ${example}); commit or stash them, or use --worktree DIR to restore the run into a new worktree`,
      changed.map((l) => l.slice(3)),
    );
  }
  const replaced = changedPaths(sha, specs, dir);
  const untracked = collisions(replaced, specs, { kind: "untracked", dir });
  refuseCollisions(run, untracked, {
    what: (n) =>
      `overwrite or delete ${n} in ${what} where the run's code has files`,
    noun: "untracked",
  });
  const ignored = collisions(replaced, specs, { kind: "ignored", dir });
  refuseCollisions(run, ignored, {
    what: (n) =>
      `overwrite ${n} that the current commit${
        dir === undefined ? "" : ` of ${what}`
      } does not track`,
    noun: "ignored",
    back: true,
  });
}

/**
 * Refuses when the checkout would overwrite or delete files exprag did not
 * create, listing up to five.
 */
function refuseCollisions(
  run: string,
  found: string[],
  o: { what: (n: string) => string; noun: string; back?: boolean },
): void {
  if (found.length === 0) return;
  const shown = found.slice(0, 5).map(escapeText).join(", ");
  const them = found.length === 1 ? "it" : "them";
  const n = `${found.length} ${o.noun} file${found.length === 1 ? "" : "s"}`;
  throw new RefusedError(
    `refusing to check out run ${run} in place: it would ${
      o.what(n)
    } (${shown}${found.length > 5 ? ", ..." : ""})${
      o.back ? `, and going back would delete ${them}` : ""
    }; move ${them} away, or use --worktree DIR to restore the run into a new worktree`,
    found,
  );
}
