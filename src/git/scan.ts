/**
 * Reading a worktree's changes: `git status` (porcelain v2, `-z`, bytes),
 * plus the edits of flagged (skip-worktree, assume-unchanged) files that
 * status hides, within the capture's deadline.
 *
 * @module
 */

import { flaggedChanges, type Unflag } from "./flagged.ts";
import type { Place } from "./place.ts";
import { concatBytes } from "./quote.ts";
import {
  type Deadline,
  firstError,
  GitTimeoutError,
  runGitTimed,
} from "./run.ts";
import { type ParsedStatus, parseStatus } from "./status.ts";

/** What status (plus the flagged files) reported, or why it could not be read. */
export type Scanned =
  | { parsed: ParsedStatus; unflag: Unflag; note?: string }
  | { timedOut: string }
  | { failed: string };

/**
 * Runs status, and finds the edits of flagged files that status hides.
 * Dirty submodules are always reported (`--ignore-submodules=none`,
 * whatever the configuration says): the snapshot is the worktree.
 *
 * @param place Where.
 * @param deadline The time limit of filter-running commands.
 * @returns What was found, or why not.
 */
export function scan(place: Place, deadline: Deadline): Scanned {
  try {
    const st = runGitTimed([
      ...place.repo,
      "status",
      "--porcelain=v2",
      "-z",
      "--branch",
      "--no-ahead-behind", // never walk history for upstream counts
      "--untracked-files=all",
      "--ignored=no",
      "--ignore-submodules=none",
      "--",
      ...place.specs,
    ], { deadline });
    if (st.code !== 0) {
      return { failed: `git status failed: ${firstError(st)}` };
    }
    const flagged = flaggedChanges({ ...place, deadline });
    const all = flagged.entries.length === 0
      ? st.stdout
      : concatBytes([st.stdout, flagged.entries]);
    return {
      parsed: parseStatus(all),
      unflag: flagged.unflag,
      note: flagged.note,
    };
  } catch (e) {
    if (e instanceof GitTimeoutError) return { timedOut: e.message };
    throw e;
  }
}
