/**
 * The run file writer: one append-only JSONL file per run, exclusively
 * `flock`ed for the life of the run (readers detect live runs with
 * `tryLockSync`), one `write` per record (looping on short writes).
 *
 * @module
 */

const encoder = new TextEncoder();

/** The record buffer's initial size. */
const INITIAL_BUFFER = 64 * 1024;
/** A buffer grown beyond this for one huge record is given back after it. */
const MAX_KEPT_BUFFER = 1024 * 1024;
/** Least time between two checks that the run file still has a name. */
const LINK_CHECK_MS = 100;
/** Why writes fail once the run file has lost its name. */
const DELETED =
  "the file was deleted (its directory removed?) while the run was being written";

/** How a write failure is reported: the file and the cause. */
function writeError(path: string, what: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`exprag: cannot ${what} ${path}: ${reason}`, { cause });
}

/**
 * Appends records to one run file. Not exported from mod.ts.
 *
 * The start of track records (everything up to the value, which changes at
 * most once per millisecond) is kept encoded at the front of a reused
 * buffer; each track call encodes only the value's JSON behind it and
 * writes once.
 */
export class RunWriter {
  /** The file's path. */
  readonly path: string;
  #file: Deno.FsFile | null;
  #size = 0;
  #buf: Uint8Array;
  #headLen = 0;
  #tail: Uint8Array;
  #nextLinkCheck = 0;
  #deleted = false;

  /**
   * Creates the file (it must not exist) and takes the exclusive lock.
   *
   * @param path The run file; its directory must exist.
   */
  constructor(path: string) {
    this.path = path;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { append: true, createNew: true });
    } catch (e) {
      throw writeError(path, "create", e);
    }
    try {
      file.lockSync(true);
    } catch (e) {
      file.close();
      throw writeError(path, "lock", e);
    }
    this.#file = file;
    this.#buf = new Uint8Array(INITIAL_BUFFER);
    this.#tail = this.#buf;
  }

  /** Bytes written so far (the file's size: it was created empty). */
  get size(): number {
    return this.#size;
  }

  /** Whether the file is still open. */
  get open(): boolean {
    return this.#file !== null;
  }

  /**
   * Sets the first part of the next track records: everything up to the
   * value (`{"schema_version":...,"elapsed_ms":12,"note":"...","value":`).
   * It changes at most once per millisecond (or when the note changes), so
   * it is encoded once and kept at the front of the reused buffer.
   *
   * @param head The JSON text of the record up to its value.
   */
  setTrackHead(head: string): void {
    let r = encoder.encodeInto(head, this.#buf);
    if (r.read < head.length) {
      this.#buf = new Uint8Array(
        Math.max(this.#buf.length * 2, head.length * 3 + 1024),
      );
      r = encoder.encodeInto(head, this.#buf);
    }
    this.#headLen = r.written;
    this.#tail = this.#buf.subarray(r.written);
  }

  /**
   * Writes one track record: the head set by `setTrackHead`, then the value's
   * JSON text, then `}` and the newline.
   *
   * @param json The value, as JSON text.
   * @throws {Error} Naming the file and the cause when the write fails.
   */
  writeTrack(json: string): void {
    let tail = this.#tail;
    let r = encoder.encodeInto(json, tail);
    if (r.read < json.length || r.written + 2 > tail.length) {
      const buf = new Uint8Array(
        Math.max(this.#buf.length * 2, this.#headLen + json.length * 3 + 1024),
      );
      buf.set(this.#buf.subarray(0, this.#headLen), 0);
      this.#buf = buf;
      tail = this.#tail = buf.subarray(this.#headLen);
      r = encoder.encodeInto(json, tail);
    }
    const n = r.written;
    tail[n] = 0x7d; // }
    tail[n + 1] = 0x0a; // \n
    try {
      this.#writeAll(this.#buf, this.#headLen + n + 2);
    } finally {
      if (this.#buf.length > MAX_KEPT_BUFFER) this.#shrink();
    }
  }

  /** Gives back the memory of a buffer grown for one huge record. */
  #shrink(): void {
    const buf = new Uint8Array(INITIAL_BUFFER);
    if (this.#headLen + 1024 <= buf.length) {
      buf.set(this.#buf.subarray(0, this.#headLen), 0);
      this.#buf = buf;
      this.#tail = buf.subarray(this.#headLen);
    }
  }

  /**
   * Writes one complete record line.
   *
   * @param line The record, ending in `\n` (text or its UTF-8 bytes).
   * @returns The encoded bytes (kept by callers that may rewrite the record).
   * @throws {Error} Naming the file and the cause when the write fails.
   */
  writeLine(line: string | Uint8Array): Uint8Array {
    const bytes = typeof line === "string" ? encoder.encode(line) : line;
    this.#writeAll(bytes, bytes.length);
    return bytes;
  }

  /**
   * Fails when the run file has been deleted (e.g. its directory removed):
   * writes to the open file would still succeed, into a file no one can
   * read any more. Once detected, every later write fails too.
   *
   * Checks by opening the path again for appending (the write permission
   * the run already has; `fstat` would need read permission). The second
   * descriptor does not affect the `flock`, which belongs to the first.
   *
   * @param now `performance.now()`: when given, checks at most every
   *   100 ms (an open costs about as much as a record write); without it,
   *   always checks.
   * @throws {Error} Naming the file, when it was deleted.
   */
  checkLinked(now?: number): void {
    if (this.#file === null || this.#deleted) return;
    if (now !== undefined) {
      if (now < this.#nextLinkCheck) return;
      this.#nextLinkCheck = now + LINK_CHECK_MS;
    }
    try {
      Deno.openSync(this.path, { append: true }).close();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) return; // cannot tell
      this.#deleted = true;
      throw writeError(this.path, "write to", DELETED);
    }
  }

  #writeAll(buf: Uint8Array, len: number): void {
    const file = this.#file;
    if (file === null) {
      throw writeError(this.path, "write to", "the run file is closed");
    }
    if (this.#deleted) throw writeError(this.path, "write to", DELETED);
    let off = 0;
    try {
      while (off < len) {
        const n = file.writeSync(
          off === 0 && len === buf.length ? buf : buf.subarray(off, len),
        );
        if (n <= 0) throw new Error("write returned 0 bytes");
        off += n;
      }
    } catch (e) {
      if (off > 0) {
        // Never leave a torn line behind: cut the partial record off.
        try {
          file.truncateSync(this.#size);
        } catch { /* the original error is what matters */ }
      }
      throw writeError(this.path, "write to", e);
    }
    this.#size += len;
  }

  /**
   * Cuts the file back to `size` bytes (rolls back records written last).
   *
   * @param size The new size; at most the current size.
   */
  truncate(size: number): void {
    const file = this.#file;
    if (file === null) throw writeError(this.path, "truncate", "closed");
    try {
      file.truncateSync(size);
    } catch (e) {
      throw writeError(this.path, "truncate", e);
    }
    this.#size = size;
  }

  /** Flushes the file to disk (`fsync`). */
  sync(): void {
    if (this.#file === null) return;
    try {
      this.#file.syncSync();
    } catch (e) {
      throw writeError(this.path, "sync", e);
    }
  }

  /** Closes the file, which releases the lock. Idempotent. */
  close(): void {
    const file = this.#file;
    if (file === null) return;
    this.#file = null;
    try {
      file.close();
    } catch { /* already closed */ }
  }

  /**
   * Reopens a closed run file for appending (to amend its last record),
   * taking the lock again.
   *
   * @param size The file's size as last known.
   */
  reopen(size: number): void {
    if (this.#file !== null) return;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.path, { append: true });
      file.lockSync(true);
    } catch (e) {
      throw writeError(this.path, "reopen", e);
    }
    this.#file = file;
    this.#size = size;
  }
}
