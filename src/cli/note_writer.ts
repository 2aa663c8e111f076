/**
 * Appending a notes record (src/note_record.ts) to
 * `<exprag dir>/notes/<run_id>.jsonl`: never through a symbolic link, one
 * `write` per line under an exclusive `flock`, so that agents writing at
 * once lose nothing and never interleave. The run file is never opened.
 *
 * Permissions: read on the exprag directory (the `lstat`s), write on the
 * notes directory (creating it and the file, appending).
 *
 * @module
 */

import { join } from "../path.ts";
import { RefusedError } from "../errors.ts";
import { lstatOrNull } from "../lstat.ts";
import { formatNotesLine, notesDir, type NotesRecord } from "../note_record.ts";
import { isValidRunId } from "../query/files.ts";

function refuse(path: string, why: string): RefusedError {
  return new RefusedError(
    `refusing to write notes to ${path}: ${why} (exprag never writes through a symbolic link); remove it`,
    [path],
  );
}

/** The notes directory, created when missing; refused when it is a link or no directory. */
function ensureDir(dir: string): void {
  let info = lstatOrNull(dir);
  if (info === null) {
    try {
      Deno.mkdirSync(dir, { mode: 0o755 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    info = Deno.lstatSync(dir);
  }
  if (info.isSymlink) throw refuse(dir, "it is a symbolic link");
  if (!info.isDirectory) throw refuse(dir, "it is not a directory");
}

/** Opens the notes file for appending, creating it with `createNew` (never a link). */
function openNotesFile(file: string, read = false): Deno.FsFile {
  for (let attempt = 0; attempt < 3; attempt++) {
    const info = lstatOrNull(file);
    if (info !== null) {
      if (info.isSymlink) throw refuse(file, "it is a symbolic link");
      if (!info.isFile) throw refuse(file, "it is not a regular file");
      return Deno.openSync(file, { append: true, read });
    }
    try {
      return Deno.openSync(file, {
        append: true,
        read,
        createNew: true,
        mode: 0o644,
      });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      // created meanwhile by another writer: check it again
    }
  }
  throw refuse(file, "it keeps changing");
}

/**
 * Checks that the opened file is the one at the path, and that neither the
 * file nor its directory became a link between the checks and the open.
 */
function checkOpened(file: Deno.FsFile, path: string, dir: string): void {
  const opened = file.statSync();
  const now = Deno.lstatSync(path);
  if (Deno.lstatSync(dir).isSymlink) {
    throw refuse(dir, "it is a symbolic link");
  }
  if (now.isSymlink || now.ino !== opened.ino || now.dev !== opened.dev) {
    throw refuse(path, "it was replaced while being opened");
  }
}

/** Writes all of `bytes` with the file locked; a partial write is cut off. */
function appendLocked(file: Deno.FsFile, bytes: Uint8Array): void {
  file.lockSync(true);
  try {
    writeAll(file, bytes);
  } finally {
    file.unlockSync();
  }
}

/** Writes all of `bytes` at the end (the lock held); a partial write is cut off. */
function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  const size = file.statSync().size;
  let off = 0;
  try {
    while (off < bytes.length) {
      const n = file.writeSync(bytes.subarray(off));
      if (n <= 0) throw new Error("write returned 0 bytes");
      off += n;
    }
  } catch (e) {
    if (off > 0) {
      try {
        file.truncateSync(size); // never leave a torn line behind
      } catch { /* the original error is what matters */ }
    }
    throw e;
  }
}

/**
 * Opens a run's notes file (creating the notes directory and the file when
 * missing, never through a link), runs `f` on it and closes it.
 *
 * @returns What `f` returns, and the file's path.
 */
function withNotesFile<T>(
  dir: string,
  o: { runId: string; read: boolean },
  f: (file: Deno.FsFile) => T,
): { result: T; path: string } {
  if (!isValidRunId(o.runId)) {
    throw new RangeError(`invalid run id ${JSON.stringify(o.runId)}`);
  }
  const nd = notesDir(dir);
  ensureDir(nd);
  const path = join(nd, `${o.runId}.jsonl`);
  const file = openNotesFile(path, o.read);
  try {
    checkOpened(file, path, nd);
    return { result: f(file), path };
  } catch (e) {
    if (e instanceof RefusedError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot write to ${path}: ${why}`, { cause: e });
  } finally {
    file.close();
  }
}

/**
 * Appends one record to its run's notes file, creating the notes directory
 * and the file when missing.
 *
 * @param dir The exprag directory (resolved, e.g. `.exprag`).
 * @param record The record.
 * @returns The notes file written.
 * @throws {RefusedError} When the notes directory or file is a symbolic
 *   link or of the wrong kind (nothing is written).
 * @throws {Error} Naming the file when the write fails.
 */
export function appendNotesRecord(dir: string, record: NotesRecord): string {
  const bytes = new TextEncoder().encode(formatNotesLine(record));
  return withNotesFile(
    dir,
    { runId: record.run_id, read: false },
    (file) => appendLocked(file, bytes),
  ).path;
}

/** Reads a whole open file from its start. */
function readAll(file: Deno.FsFile): Uint8Array {
  file.seekSync(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(65536);
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.subarray(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Appends to a run's notes file the lines it does not hold yet (`exprag
 * pull`: the union of two machines' notes), all under the file's lock, so
 * that concurrent pulls and `exprag note` never duplicate or interleave.
 *
 * @param dir The exprag directory.
 * @param o The run id and the candidate lines (complete JSON lines,
 *   without their newline; checked by the caller).
 * @returns How many lines were appended.
 * @throws {RefusedError} When the notes directory or file is a symbolic
 *   link or of the wrong kind (nothing is written).
 */
export function appendMissingNotes(
  dir: string,
  o: { runId: string; lines: readonly string[] },
): number {
  return withNotesFile(dir, { runId: o.runId, read: true }, (file) => {
    file.lockSync(true);
    try {
      const text = new TextDecoder().decode(readAll(file));
      const have = new Set(text.split("\n"));
      const add: string[] = [];
      for (const line of o.lines) {
        if (have.has(line)) continue;
        have.add(line);
        add.push(line);
      }
      if (add.length === 0) return 0;
      // a torn last line (a writer killed mid-line) is ended first
      const lead = text !== "" && !text.endsWith("\n") ? "\n" : "";
      writeAll(
        file,
        new TextEncoder().encode(lead + add.map((l) => l + "\n").join("")),
      );
      return add.length;
    } finally {
      file.unlockSync();
    }
  }).result;
}
