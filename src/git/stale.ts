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

import { join } from "../path.ts";
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
 * The stale temporary files of killed captures in the exprag directory:
 * regular files named exactly as the capture names them, untouched for
 * longer than `ageMs`.
 *
 * Requires `--allow-read` for the directory.
 *
 * @param dir The exprag directory.
 * @param ageMs How old (by modification time) a file must be.
 * @param o `pattern`: the names to look for (default: the capture's).
 * @returns Their names (unreadable directory: none).
 */
export function staleTempNames(
  dir: string,
  ageMs: number,
  o: { pattern?: RegExp } = {},
): string[] {
  const pattern = o.pattern ?? TEMP_NAME;
  const before = Date.now() - ageMs;
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isFile || !pattern.test(e.name)) continue;
    try {
      const info = Deno.lstatSync(join(dir, e.name));
      const at = info.mtime?.getTime();
      if (info.isFile && at !== undefined && at <= before) names.push(e.name);
    } catch {
      // gone meanwhile
    }
  }
  return names.sort();
}

/**
 * Removes one stale temporary file, checking again (`lstat`: a regular
 * file, named as the capture names them, older than `ageMs`) right before.
 *
 * @param dir The exprag directory.
 * @param name The file's name.
 * @param o `ageMs`: how old it must be; `pattern`: the names it may have
 *   (default: the capture's).
 * @returns Whether it was removed.
 */
export function removeStaleTempFile(
  dir: string,
  name: string,
  o: { ageMs: number; pattern?: RegExp },
): boolean {
  const ageMs = o.ageMs;
  if (!(o.pattern ?? TEMP_NAME).test(name)) return false;
  const path = join(dir, name);
  try {
    const info = Deno.lstatSync(path);
    const at = info.mtime?.getTime();
    if (!info.isFile || at === undefined || at > Date.now() - ageMs) {
      return false;
    }
    Deno.removeSync(path);
    return true;
  } catch {
    return false; // gone meanwhile, or not ours to remove
  }
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
  if (
    !granted({ name: "read", path: dir }) ||
    !granted({ name: "write", path: dir })
  ) return [];
  const age = staleAgeMs(timeoutMs);
  return staleTempNames(dir, age).filter((name) =>
    removeStaleTempFile(dir, name, { ageMs: age })
  );
}
