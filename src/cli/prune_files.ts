/**
 * Removing a run's files for `exprag prune`, never anything else: the run
 * file only when it is a regular file (`lstat`: a symbolic link is never
 * followed nor removed), no live tracker holds its lock (we take the
 * exclusive lock ourselves, so no tracker can hold it while we remove), and
 * its first line is still the run_start of the run listed; the notes file
 * only when it is a regular file, under its writers' lock.
 *
 * Permissions: read and write on the exprag directory.
 *
 * @module
 */

import { join } from "../path.ts";
import { lstatOrNull } from "../lstat.ts";
import { notesDir } from "../note_record.ts";
import { isValidRunId } from "../query/mod.ts";

/** The outcome of one removal: done, or why not (`gone`: nothing was there). */
export type Removal = { ok: true } | {
  ok: false;
  reason: string;
  gone?: boolean;
};

/** The longest first line read to check a run_start (records are far shorter). */
const MAX_FIRST_LINE = 64 * 1024 * 1024;

/** Reads the first line of an opened file (without its newline), or null when too long. */
function firstLine(file: Deno.FsFile): string | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (total < MAX_FIRST_LINE) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    const nl = buf.subarray(0, n).indexOf(10);
    chunks.push(buf.slice(0, nl === -1 ? n : nl));
    total += n;
    if (nl !== -1) break;
  }
  if (total >= MAX_FIRST_LINE) return null;
  const bytes = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    bytes.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(bytes).replace(/^\uFEFF/, "").replace(
    /\r$/,
    "",
  );
}

/** Whether a line is the run_start record of the run. */
function isRunStartOf(line: string | null, runId: string): boolean {
  if (line === null) return false;
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    return r !== null && r.kind === "run_start" && r.run_id === runId;
  } catch {
    return false;
  }
}

/** Why a path is not a regular file we may remove, or null when it is. */
function notRegular(info: Deno.FileInfo | null): Removal | null {
  if (info === null) return { ok: false, reason: "already gone", gone: true };
  if (info.isSymlink) {
    return { ok: false, reason: "is a symbolic link: never removed" };
  }
  if (!info.isFile) return { ok: false, reason: "is not a regular file" };
  return null;
}

/**
 * Checks, without removing or locking anything, whether a file may be
 * removed: a regular file, not a symbolic link (the dry run's check; the
 * lock was probed by the listing).
 *
 * @param path The file.
 * @returns `{ ok: true }`, or why it stays.
 */
export function checkRegularFile(path: string): Removal {
  try {
    return notRegular(lstatOrNull(path)) ?? { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Removes a run file: opened without following links, locked exclusively
 * (a live tracker holds that lock: then it stays), its first line checked
 * to be the run_start of `runId`, and the path checked to still be the
 * file opened, right before the unlink.
 *
 * @param path The run file.
 * @param runId The run it must hold.
 * @returns `{ ok: true }` when removed, else why it stays.
 */
export function removeRunFile(path: string, runId: string): Removal {
  return underLock(path, { wait: false }, (file) => {
    if (!isRunStartOf(firstLine(file), runId)) {
      return {
        ok: false,
        reason: `no longer starts with the run_start of run ${runId}`,
      };
    }
    if (!sameFile(file, path)) return REPLACED;
    Deno.removeSync(path);
    return { ok: true };
  });
}

const REPLACED: Removal = {
  ok: false,
  reason: "was replaced while being checked",
};

/**
 * Runs `act` on a regular file (never a link) opened without following
 * links, under its exclusive lock (`wait`: wait for it, else a held lock
 * means a live tracker and the file stays), once the path is checked to
 * still be the file opened.
 */
function underLock(
  path: string,
  o: { wait: boolean },
  act: (file: Deno.FsFile) => Removal,
): Removal {
  try {
    const bad = notRegular(lstatOrNull(path));
    if (bad !== null) return bad;
    const file = Deno.openSync(path, { read: true });
    try {
      if (o.wait) file.lockSync(true);
      else if (!lockSoon(file)) {
        return {
          ok: false,
          reason: "running: a live process holds its lock; never removed",
        };
      }
      try {
        // another prune may have removed it while we waited for the lock
        if (lstatOrNull(path) === null) {
          return { ok: false, reason: "already gone", gone: true };
        }
        return sameFile(file, path) ? act(file) : REPLACED;
      } finally {
        file.unlockSync();
      }
    } finally {
      file.close();
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { ok: false, reason: "already gone", gone: true };
    }
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * How long a held lock is waited for before it is taken for a live
 * tracker's: another prune holds it for a moment only (a tracker, for its
 * whole run).
 */
const LOCK_GRACE_MS = 500;

/** Takes the exclusive lock, retrying for {@linkcode LOCK_GRACE_MS}; whether it did. */
function lockSoon(file: Deno.FsFile): boolean {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const until = performance.now() + LOCK_GRACE_MS;
  for (let wait = 5;; wait = Math.min(wait * 2, 100)) {
    if (file.tryLockSync(true)) return true;
    if (performance.now() >= until) return false;
    Atomics.wait(pause, 0, 0, wait); // a synchronous sleep
  }
}

/** Whether the path (not followed) is still the opened file. */
function sameFile(file: Deno.FsFile, path: string): boolean {
  const now = lstatOrNull(path);
  if (now === null || now.isSymlink || !now.isFile) return false;
  const opened = file.statSync();
  return now.ino === opened.ino && now.dev === opened.dev;
}

/**
 * The notes file of a run, when there is something at its path.
 *
 * @param dir The exprag directory.
 * @param runId The run id (a valid id: it names no other path).
 * @returns `<dir>/notes/<id>.jsonl`, or null when nothing is there.
 */
export function notesFileOf(dir: string, runId: string): string | null {
  if (!isValidRunId(runId)) return null;
  const path = join(notesDir(dir), `${runId}.jsonl`);
  return lstatOrNull(path) === null ? null : path;
}

/**
 * Removes a notes file: a regular file (never a link), under the exclusive
 * lock its writers append under, so that no note is half written.
 *
 * @param path The notes file.
 * @returns `{ ok: true }` when removed, else why it stays.
 */
export function removeNotesFile(path: string): Removal {
  return underLock(path, { wait: true }, () => {
    Deno.removeSync(path);
    return { ok: true };
  });
}
