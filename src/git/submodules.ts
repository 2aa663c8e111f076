/**
 * Dirty submodules in a snapshot. `git status` reports a submodule with
 * edits or untracked files inside it as modified, but staging it records
 * only its HEAD. Each such submodule is snapshotted in its own repository,
 * exactly as the superproject (recursively, its own dirty submodules
 * first), kept reachable by a ref there (`refs/heads/run/<run_id>` or the
 * fallback, see `refs.ts`), and the superproject's snapshot points its
 * gitlink at that commit. A submodule that cannot be snapshotted is listed
 * in `git.skipped` with the reason (its gitlink stays at its HEAD).
 *
 * @module
 */

import { join } from "../path.ts";
import { GitNotFoundError } from "../errors.ts";
import { type Place, submodulePlace } from "./place.ts";
import { pathText, utf8OrNull } from "./quote.ts";
import { deleteSnapshotRef } from "./refs.ts";
import type { Deadline } from "./run.ts";
import { scan } from "./scan.ts";
import { type Gitlink, snapshot, type SnapshotState } from "./snapshot.ts";
import type { ParsedStatus } from "./status.ts";
import type {
  GitCaptureOptions,
  SkippedFile,
  SubmoduleSnapshot,
} from "./types.ts";

/** The submodule snapshots of one capture: what was made, and how to undo it. */
export interface SubmoduleRun {
  /** The capture's options (run id, exprag directory, size limit). */
  options: GitCaptureOptions;
  /** The capture's time limit. */
  deadline: Deadline;
  /** The superproject's `git.skipped` (submodules not snapshotted, files left out inside them). */
  skipped: SkippedFile[];
  /** The capture's partial-capture notes. */
  unavailable: Record<string, string>;
  /** The snapshots made (filled in). */
  made: SubmoduleSnapshot[];
  /** Removes each snapshot's ref (filled in). */
  undo: (() => void)[];
}

/** The `reason` prefix of a dirty submodule left out, in `skipped`. */
export const SKIP_SUBMODULE = "dirty submodule not snapshotted";

/** Whether a status entry is a submodule with tracked edits or untracked files inside. */
function dirtyInside(sub: string | undefined): boolean {
  return sub !== undefined && sub[0] === "S" &&
    (sub[2] === "M" || sub[3] === "U");
}

/** Snapshots one dirty submodule; the snapshot commit, or why not. */
function snapshotOne(
  place: Place,
  run: SubmoduleRun,
  shown: string,
): string | { commit: string } {
  const sc = scan(place, run.deadline);
  if ("failed" in sc) return sc.failed;
  if ("timedOut" in sc) return sc.timedOut;
  const links = snapshotSubmodules(place, sc.parsed, run, `${shown}/`);
  const state: SnapshotState = {
    head: sc.parsed.head,
    head_branch: sc.parsed.branch,
    skipped: [],
  };
  const notes: Record<string, string> = {};
  let snap;
  try {
    snap = snapshot(
      run.options,
      {
        ...place,
        unflag: sc.unflag,
        deadline: run.deadline,
        gitlinks: links,
        tag: `${run.options.runId}-sub${run.undo.length}`,
      },
      sc.parsed,
      state,
      notes,
    );
  } catch (e) {
    if (e instanceof GitNotFoundError) throw e;
    snap = e instanceof Error ? e.message : String(e);
  }
  if (typeof snap === "string") return snap;
  for (const s of state.skipped) {
    run.skipped.push({ ...s, path: `${shown}/${s.path}` });
  }
  for (const [k, v] of Object.entries(notes)) {
    run.unavailable[k] ??= `submodule ${shown}: ${v}`;
  }
  const { commit, ref } = snap;
  run.made.push({ path: shown, commit, ref: ref.ref, head: sc.parsed.head });
  run.undo.push(() => deleteSnapshotRef(place.repo, { ref: ref.ref, commit }));
  return { commit };
}

/**
 * Snapshots the dirty submodules of a worktree (recursively).
 *
 * @param place The worktree whose status was read.
 * @param parsed Its status.
 * @param run The capture, collecting snapshots, skipped submodules, undo steps.
 * @param prefix The worktree's path relative to the superproject's top level (`""` or ending in `/`).
 * @returns The gitlinks to set in the worktree's snapshot.
 */
export function snapshotSubmodules(
  place: Place,
  parsed: ParsedStatus,
  run: SubmoduleRun,
  prefix = "",
): Gitlink[] {
  const links: Gitlink[] = [];
  for (const c of parsed.changes) {
    if (!dirtyInside(c.sub) || c.y === "D") continue;
    const shown = prefix + pathText(c.path);
    const skip = (why: string) => {
      run.skipped.push({
        path: `${shown}/`,
        bytes: null,
        reason: `${SKIP_SUBMODULE}: ${why}`,
      });
      run.unavailable["git.submodules"] =
        "some dirty submodules were not snapshotted (their gitlinks are their HEADs): see git.skipped";
    };
    const p = utf8OrNull(c.path);
    if (p === null) {
      skip("its name is not valid UTF-8");
      continue;
    }
    const sub = submodulePlace(join(place.top, p), run.options.expragDir);
    if (typeof sub === "string") {
      skip(sub);
      continue;
    }
    const done = snapshotOne(sub, run, shown);
    if (typeof done === "string") skip(done);
    else links.push({ path: p, commit: done.commit });
  }
  return links;
}
