/**
 * A long diff within a line budget: the files whose diffs are smallest in
 * full, as long as they fit, and the others named with their line counts,
 * so that one call answers "what changed" even when one untracked file of
 * hundreds of lines is part of the difference.
 *
 * @module
 */

import { git, gitFailure } from "./gitsafe.ts";

/** The longest diff printed as it is (without `--full`). */
export const MAX_DIFF_LINES = 400;

/** One file of `git diff --numstat`. */
interface FileCount {
  path: string;
  added: number | null;
  deleted: number | null;
}

/** A diff cut to the budget. */
export interface BudgetedDiff {
  /** The diff of the files shown in full (may be empty). */
  text: string;
  /** The note naming the files left out. */
  note: string;
}

/**
 * How many lines a text holds (a last line without newline counts).
 *
 * @param text The text.
 * @returns The count.
 */
export function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
    n++;
  }
  return text.endsWith("\n") || text === "" ? n : n + 1;
}

/** Parses `git diff --numstat -z --no-renames` output (binary files count `-`). */
function parseNumstat(out: string): FileCount[] {
  return out.split("\0").filter((e) => e !== "").map((e) => {
    const [a, d, ...rest] = e.split("\t");
    const num = (s: string) => (s === "-" ? null : Number(s));
    return { path: rest.join("\t"), added: num(a), deleted: num(d) };
  });
}

/** The lines a file's diff takes: its changes plus headers and hunk lines. */
function cost(f: FileCount): number {
  return (f.added ?? 0) + (f.deleted ?? 0) + 6;
}

/**
 * The diff of `git diff <diffArgs> <revisions> -- <specs>` cut to
 * {@linkcode MAX_DIFF_LINES}: the smallest files' diffs in full while they
 * fit, then a note naming the files left out, largest first.
 *
 * @param diffArgs git's arguments from `diff` through the revisions (ending with the new side).
 * @param o The pathspecs (the exprag directory excluded) and the full diff's line count.
 * @returns The text to print and the note, or null when no file fits or a
 *   path does not come back as text (the caller prints the `--stat`).
 */
export function budgetedDiff(
  diffArgs: readonly string[],
  o: { specs: readonly string[]; lines: number },
): BudgetedDiff | null {
  const [cmd, ...rest] = diffArgs;
  const ns = git([
    cmd,
    "--numstat",
    "-z",
    "--no-renames",
    ...rest,
    "--",
    ...o.specs,
  ]);
  if (ns.code !== 0) throw gitFailure("git diff --numstat", ns);
  const files = parseNumstat(ns.stdout);
  if (files.some((f) => f.path.includes("\uFFFD") || f.path === "")) {
    return null;
  }
  const shown: FileCount[] = [];
  let used = 0;
  for (const f of [...files].sort((x, y) => cost(x) - cost(y))) {
    if (used + cost(f) > MAX_DIFF_LINES) break;
    shown.push(f);
    used += cost(f);
  }
  if (shown.length === 0) return null;
  const left = files.filter((f) => !shown.includes(f))
    .sort((x, y) => cost(y) - cost(x));
  const specs = [
    ...shown.map((f) => `:(top,literal)${f.path}`),
    ...o.specs.slice(1),
  ];
  const d = git([cmd, "--no-renames", ...rest, "--", ...specs]);
  if (d.code !== 0) throw gitFailure("git diff", d);
  const named = left.map((f) =>
    f.added === null
      ? `${f.path} (binary)`
      : `${f.path} (+${f.added} -${f.deleted})`
  );
  return {
    text: d.stdout,
    note:
      `the diff is ${o.lines} lines (more than ${MAX_DIFF_LINES}): ${shown.length} file${
        shown.length === 1 ? "" : "s"
      } shown in full; left out: ${
        named.join(", ")
      }; --path PATH shows one file's diff, --full the whole diff`,
  };
}
