/**
 * A pure parser of `git status --porcelain=v2 --branch -z` output: paths as
 * bytes, and the entries rewritten as `git status --porcelain` (v1) lines.
 * No git needed (tested on byte strings).
 *
 * @module
 */

import { compareBytes, cQuote } from "./quote.ts";

/** A tracked entry of status. */
export interface StatusChange {
  /** Index-side status letter (`.` unchanged; `U` for unmerged entries). */
  x: string;
  /** Worktree-side status letter (`.` unchanged; `U` for unmerged entries). */
  y: string;
  /** The path (relative to the top level), as bytes. */
  path: Uint8Array;
  /** The original path of a rename or copy. */
  orig?: Uint8Array;
  /**
   * The submodule field of porcelain v2: `N...` for a plain entry, else
   * `S<c><m><u>` (`C` commit changed, `M` tracked changes, `U` untracked
   * files inside the submodule); absent in hand-made entries.
   */
  sub?: string;
}

/** What {@linkcode parseStatus} found. */
export interface ParsedStatus {
  /** HEAD's commit; null when unborn. */
  head: string | null;
  /** The current branch (short name); null when detached. */
  branch: string | null;
  /** The entries as `git status --porcelain` (v1) lines. */
  lines: string[];
  /** Untracked paths (relative to the top level; nested repositories end in `/`). */
  untracked: Uint8Array[];
  /** Tracked entries. */
  changes: StatusChange[];
}

/** `status` is cut at a line boundary at this many UTF-8 bytes. */
export const STATUS_MAX_BYTES = 64 * 1024;

const ascii = new TextDecoder();
const NUL = 0;
const SPACE = 32;

/** Splits `-z` output into its NUL-terminated fields. */
function fields(out: Uint8Array): Uint8Array[] {
  const res: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === NUL) {
      res.push(out.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < out.length) res.push(out.subarray(start));
  return res;
}

/** The `n` space-separated words before the path, and the path (bytes). */
function words(
  entry: Uint8Array,
  n: number,
): { w: string[]; path: Uint8Array } {
  const w: string[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    let sp = entry.indexOf(SPACE, pos);
    if (sp < 0) sp = entry.length;
    w.push(ascii.decode(entry.subarray(pos, sp)));
    pos = sp + 1;
  }
  return { w, path: entry.subarray(Math.min(pos, entry.length)) };
}

const v1 = (p: Uint8Array) => cQuote(p, true);
const xy = (s: string) => s.replaceAll(".", " ");

/**
 * Parses `git status --porcelain=v2 --branch -z` and rewrites the entries as
 * `git status --porcelain` (v1) lines: tracked entries in path order (v2
 * prints unmerged ones last), then untracked ones; paths quoted as git
 * quotes them in v1 (`core.quotePath=true`).
 *
 * @example
 * ```ts ignore
 * const out = new TextEncoder().encode(
 *   "# branch.oid (initial)\0# branch.head main\0? new.txt\0",
 * );
 * parseStatus(out).lines; // ["?? new.txt"]
 * ```
 *
 * @param out The raw standard output of git.
 * @returns Branch headers, v1 lines, untracked paths and tracked changes.
 */
export function parseStatus(out: Uint8Array): ParsedStatus {
  const res: ParsedStatus = {
    head: null,
    branch: null,
    lines: [],
    untracked: [],
    changes: [],
  };
  const tracked: { key: Uint8Array; line: string }[] = [];
  const untracked: string[] = [];
  const all = fields(out);
  for (let i = 0; i < all.length; i++) {
    const e = all[i];
    if (e.length < 2 || e[1] !== SPACE) continue;
    const kind = String.fromCharCode(e[0]);
    if (kind === "#") {
      const [, key, value] = ascii.decode(e).split(" ");
      if (key === "branch.oid") res.head = value === "(initial)" ? null : value;
      if (key === "branch.head") {
        res.branch = value === "(detached)" ? null : value;
      }
    } else if (kind === "1" || kind === "u") {
      const { w, path } = words(e, kind === "1" ? 8 : 10);
      tracked.push({ key: path, line: `${xy(w[1])} ${v1(path)}` });
      // unmerged: whatever is in the worktree (or its absence) wins
      const [x, y] = kind === "u" ? ["U", "U"] : [w[1][0], w[1][1]];
      res.changes.push({ x, y, path, sub: w[2] });
    } else if (kind === "2") {
      const { w, path } = words(e, 9);
      const orig = all[++i] ?? new Uint8Array();
      tracked.push({
        key: path,
        line: `${xy(w[1])} ${v1(orig)} -> ${v1(path)}`,
      });
      res.changes.push({ x: w[1][0], y: w[1][1], path, orig, sub: w[2] });
    } else if (kind === "?") {
      const path = e.subarray(2);
      untracked.push(`?? ${v1(path)}`);
      res.untracked.push(path);
    }
  }
  // v1 prints tracked entries (unmerged ones included) in path order (stable)
  tracked.sort((a, b) => compareBytes(a.key, b.key));
  res.lines = [...tracked.map((t) => t.line), ...untracked];
  return res;
}

/**
 * Joins status lines and caps them at {@linkcode STATUS_MAX_BYTES} on a line
 * boundary.
 *
 * @param lines The v1 lines.
 * @returns The text (each line ending in `\n`), whether it was cut, and
 *   how many lines were left out.
 */
export function capStatus(
  lines: string[],
): { status: string; truncated: boolean; omitted: number } {
  const enc = new TextEncoder();
  let bytes = 0;
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const n = enc.encode(lines[i]).length + 1;
    if (bytes + n > STATUS_MAX_BYTES) {
      return {
        status: kept.join(""),
        truncated: true,
        omitted: lines.length - i,
      };
    }
    bytes += n;
    kept.push(lines[i] + "\n");
  }
  return { status: kept.join(""), truncated: false, omitted: 0 };
}
