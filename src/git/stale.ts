/**
 * Removing the temporary files a snapshot left behind when its process was
 * killed mid-capture (SIGKILL, power loss): `.git-index-<run_id>.tmp`
 * (and its `.lock`), `.git-pathspec-<run_id>.tmp` and a reused index
 * record being written, `.git-index-<id>.tmp.cache-record.<run_id>`, in the exprag
 * directory. Only files named exactly so (a UUID run id, optionally a
 * submodule suffix `-sub<n>`) that are regular files untouched for longer
 * than any live capture could take are removed; nothing else is ever
 * deleted.
 *
 * @module
 */

import { join } from "node:path";
import { granted } from "../permissions.ts";

const RUN_ID =
  "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:-sub\\d+)?";

/**
 * The names of the capture's temporary files: the temporary index and
 * pathspec file of a run, and a reused index being written
 * (`index_cache.ts`; the reused index itself is never removed here).
 */
const TEMP_NAME = new RegExp(
  `^\\.git-(?:(?:index|pathspec)-${RUN_ID}\\.tmp(?:\\.lock)?|index-[0-9a-f]{16}\\.tmp\\.cache-record\\.${RUN_ID})$`,
);

/** A temporary file younger than this may belong to a live capture. */
const MIN_AGE_MS = 60 * 60 * 1000;

/** With no time limit on captures, the age past which a temporary file is stale. */
const UNBOUNDED_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * The age past which a temporary file is stale: an hour, or twice the
 * capture's time limit when that is longer (a day when unbounded).
 *
 * @param timeoutMs The capture's time limit.
 * @returns Milliseconds.
 */
export function staleAgeMs(timeoutMs: number): number {
  if (!Number.isFinite(timeoutMs)) return UNBOUNDED_AGE_MS;
  return Math.max(MIN_AGE_MS, 2 * timeoutMs);
}

/**
 * Removes stale temporary files of killed captures from the exprag
 * directory; silently does nothing without read and write permission.
 *
 * @param dir The exprag directory (absolute).
 * @param timeoutMs The capture's time limit (see {@linkcode staleAgeMs}).
 * @returns The names removed.
 */
export function removeStaleTemp(dir: string, timeoutMs: number): string[] {
  const removed: string[] = [];
  if (
    !granted({ name: "read", path: dir }) ||
    !granted({ name: "write", path: dir })
  ) return removed;
  const before = Date.now() - staleAgeMs(timeoutMs);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return removed;
  }
  for (const e of entries) {
    if (!e.isFile || !TEMP_NAME.test(e.name)) continue;
    const path = join(dir, e.name);
    try {
      const info = Deno.lstatSync(path);
      const at = info.mtime?.getTime();
      if (!info.isFile || at === undefined || at > before) continue;
      Deno.removeSync(path);
      removed.push(e.name);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}
