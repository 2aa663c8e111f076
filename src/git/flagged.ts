/**
 * Files flagged skip-worktree or assume-unchanged: `git status` does not
 * report their worktree edits, but the snapshot is the worktree. Their
 * recorded blobs are compared with the worktree (`git hash-object`, which
 * applies the clean filters), and the differences are returned as extra
 * status entries.
 *
 * A skip-worktree file that is absent is not a deletion (that is what a
 * sparse checkout looks like); an absent assume-unchanged file is one.
 *
 * @module
 */

import { join } from "../path.ts";
import { granted } from "../permissions.ts";
import { flaggedEntries, type FlaggedEntry } from "./index_flags.ts";
import { utf8OrNull } from "./quote.ts";
import { type Deadline, runGitRaw, runGitTimed } from "./run.ts";

/** Where to look. */
export interface FlaggedPlace {
  /** git's leading arguments naming the repository (`-C top --git-dir=...`). */
  repo: string[];
  /** The top level. */
  top: string;
  /** The real index. */
  indexPath: string;
  /** Bytes of an object id: 20 (SHA-1) or 32 (SHA-256). */
  hashBytes: number;
  /** The time limit of filter-running commands. */
  deadline: Deadline;
}

/** Paths to unflag, by flag (`update-index` applies one kind of mark per path and call). */
export interface Unflag {
  /** Paths marked skip-worktree. */
  skipWorktree: string[];
  /** Paths marked assume-unchanged. */
  assumeUnchanged: string[];
  /**
   * Paths marked skip-worktree whose file is absent: not unflagged, since
   * absent is not deleted; the real index's entry is the snapshot's.
   */
  sparse: Uint8Array[];
}

/** What {@linkcode flaggedChanges} found. */
export interface FlaggedChanges {
  /** Extra `git status --porcelain=v2 -z` entries (edited or deleted flagged files). */
  entries: Uint8Array;
  /** Their paths, whose flags must be cleared in the temporary index before staging. */
  unflag: Unflag;
  /** Flagged files that could not be compared, and why; undefined when none. */
  note?: string;
}

const encoder = new TextEncoder();

/** The flagged entries: from the index file when readable, else from `git ls-files -v`. */
function flagged(place: FlaggedPlace): FlaggedEntry[] {
  if (granted({ name: "read", path: place.indexPath })) {
    try {
      const found = flaggedEntries(
        Deno.readFileSync(place.indexPath),
        place.hashBytes,
      );
      if (found !== null) return found;
    } catch {
      return []; // no index: nothing flagged
    }
  }
  const ls = runGitRaw([...place.repo, "ls-files", "-s", "-v", "-z"]);
  if (ls.code !== 0) return [];
  const out: FlaggedEntry[] = [];
  let start = 0;
  for (let i = 0; i < ls.stdout.length; i++) {
    if (ls.stdout[i] !== 0) continue;
    const e = ls.stdout.subarray(start, i);
    start = i + 1;
    const tab = e.indexOf(9);
    const [tag, mode, oid] = new TextDecoder().decode(e.subarray(0, tab)).split(
      " ",
    );
    const skipWorktree = tag === "S";
    const assumeUnchanged = tag !== tag.toUpperCase();
    if (!skipWorktree && !assumeUnchanged) continue;
    out.push({
      path: e.slice(tab + 1),
      mode: parseInt(mode, 8),
      oid,
      skipWorktree,
      assumeUnchanged,
    });
  }
  return out;
}

/**
 * Finds the worktree edits of files flagged skip-worktree or
 * assume-unchanged. Costs nothing when none is flagged (the index file is
 * read, no git spawned); else one `git hash-object`.
 *
 * @param place Where to look.
 * @returns Extra status entries and the paths to unflag.
 * @throws {import("./run.ts").GitTimeoutError} When hashing hit the deadline.
 */
export function flaggedChanges(place: FlaggedPlace): FlaggedChanges {
  const res: FlaggedChanges = {
    entries: new Uint8Array(),
    unflag: { skipWorktree: [], assumeUnchanged: [], sparse: [] },
  };
  const all = flagged(place);
  if (all.length === 0) return res;
  const lines: string[] = [];
  const entry = (y: string, e: FlaggedEntry, p: string) => {
    const m = e.mode.toString(8).padStart(6, "0");
    const mw = y === "D" ? "000000" : m;
    lines.push(`1 .${y} N... ${m} ${m} ${mw} ${e.oid} ${e.oid} ${p}`);
    if (e.skipWorktree) res.unflag.skipWorktree.push(p);
    if (e.assumeUnchanged) res.unflag.assumeUnchanged.push(p);
  };
  const notes: string[] = [];
  const present: { e: FlaggedEntry; p: string; exec: boolean }[] = [];
  for (const e of all) {
    const p = utf8OrNull(e.path);
    const isLink = (e.mode & 0o170000) === 0o120000;
    if (p === null || isLink) {
      notes.push(
        `${p ?? "a name that is not UTF-8"}: ${
          isLink ? "a symlink" : "not comparable"
        }`,
      );
      continue;
    }
    const abs = join(place.top, p);
    if (!granted({ name: "read", path: abs })) {
      notes.push(`${p}: no read permission`);
      continue;
    }
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(abs);
    } catch {
      if (!e.skipWorktree) entry("D", e, p);
      else res.unflag.sparse.push(e.path); // sparse: absent is not deleted
      continue;
    }
    if (info.isFile) {
      present.push({ e, p, exec: ((info.mode ?? 0) & 0o100) !== 0 });
    } else entry("M", e, p); // now a directory or a symlink
  }
  if (present.length > 0) {
    const h = runGitTimed([
      ...place.repo,
      "hash-object",
      "--",
      ...present.map((x) => x.p),
    ], {
      deadline: place.deadline,
    });
    const oids = new TextDecoder().decode(h.stdout).split("\n");
    present.forEach(({ e, p, exec }, i) => {
      const wasExec = (e.mode & 0o100) !== 0;
      if (h.code !== 0) notes.push(`${p}: git hash-object failed`);
      else if (oids[i] !== e.oid || exec !== wasExec) entry("M", e, p);
    });
  }
  res.entries = encoder.encode(lines.map((l) => l + "\0").join(""));
  if (notes.length > 0) {
    res.note = `flagged skip-worktree/assume-unchanged files not compared: ${
      notes.join("; ")
    }`;
  }
  return res;
}
