/**
 * The run file appender: one append-only file per run, exclusively
 * `flock`ed for the life of the run (readers detect live runs with
 * `tryLockSync`), one `write` per chunk (looping on short writes, cutting a
 * partial chunk off on failure). It knows bytes only; the record format is
 * `src/record.ts`'s.
 *
 * @module
 */

const encoder = new TextEncoder();

/** The chunk buffer's initial size. */
const INITIAL_BUFFER = 64 * 1024;
/** A buffer grown beyond this for one huge chunk is given back after it. */
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
 * Appends chunks of text or bytes to one locked file. Not exported from
 * mod.ts.
 *
 * For a stream of chunks that share their start (the tracker's track
 * records, whose head changes at most once per millisecond), a prefix is
 * kept encoded at the front of a reused buffer: each
 * {@linkcode FileAppender.prototype.appendPrefixed} call encodes only its
 * text and suffix behind it and writes once.
 */
export class FileAppender {
  /** The file's path. */
  readonly path: string;
  #file: Deno.FsFile | null;
  #size = 0;
  #buf: Uint8Array;
  #prefixLen = 0;
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
   * Sets the prefix of the next {@linkcode FileAppender.prototype.appendPrefixed}
   * chunks. It is encoded once and kept at the front of the reused buffer.
   *
   * @param prefix The text every following prefixed chunk starts with.
   */
  setPrefix(prefix: string): void {
    let r = encoder.encodeInto(prefix, this.#buf);
    if (r.read < prefix.length) {
      this.#buf = new Uint8Array(
        Math.max(this.#buf.length * 2, prefix.length * 3 + 1024),
      );
      r = encoder.encodeInto(prefix, this.#buf);
    }
    this.#prefixLen = r.written;
    this.#tail = this.#buf.subarray(r.written);
  }

  /**
   * Appends one chunk: the prefix set by `setPrefix`, then `text`, then
   * `suffix`, in one write.
   *
   * @param text The chunk's variable part.
   * @param suffix Bytes that end the chunk (a few; e.g. a line end).
   * @throws {Error} Naming the file and the cause when the write fails.
   */
  appendPrefixed(text: string, suffix: Uint8Array): void {
    let tail = this.#tail;
    const m = suffix.length;
    let r = encoder.encodeInto(text, tail);
    if (r.read < text.length || r.written + m > tail.length) {
      const buf = new Uint8Array(
        Math.max(
          this.#buf.length * 2,
          this.#prefixLen + text.length * 3 + m + 1024,
        ),
      );
      buf.set(this.#buf.subarray(0, this.#prefixLen), 0);
      this.#buf = buf;
      tail = this.#tail = buf.subarray(this.#prefixLen);
      r = encoder.encodeInto(text, tail);
    }
    const n = r.written;
    for (let i = 0; i < m; i++) tail[n + i] = suffix[i];
    try {
      this.#writeAll(this.#buf, this.#prefixLen + n + m);
    } finally {
      if (this.#buf.length > MAX_KEPT_BUFFER) this.#shrink();
    }
  }

  /** Gives back the memory of a buffer grown for one huge chunk. */
  #shrink(): void {
    const buf = new Uint8Array(INITIAL_BUFFER);
    if (this.#prefixLen + 1024 <= buf.length) {
      buf.set(this.#buf.subarray(0, this.#prefixLen), 0);
      this.#buf = buf;
      this.#tail = buf.subarray(this.#prefixLen);
    }
  }

  /**
   * Appends one whole chunk.
   *
   * @param chunk Text (written as UTF-8) or bytes.
   * @returns The bytes written (kept by callers that may rewrite them).
   * @throws {Error} Naming the file and the cause when the write fails.
   */
  append(chunk: string | Uint8Array): Uint8Array {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    this.#writeAll(bytes, bytes.length);
    return bytes;
  }

  /**
   * Fails when the file has been deleted (e.g. its directory removed):
   * writes to the open file would still succeed, into a file no one can
   * read any more. Once detected, every later write fails too.
   *
   * Checks by opening the path again for appending (the write permission
   * the appender already has; `fstat` would need read permission). The second
   * descriptor does not affect the `flock`, which belongs to the first.
   *
   * @param now `performance.now()`: when given, checks at most every
   *   100 ms (an open costs about as much as a write); without it,
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
        // Never leave a torn chunk behind: cut the partial write off.
        try {
          file.truncateSync(this.#size);
        } catch { /* the original error is what matters */ }
      }
      throw writeError(this.path, "write to", e);
    }
    this.#size += len;
  }

  /**
   * Cuts the file back to `size` bytes (rolls back chunks written last).
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
   * Reopens the closed file for appending (to amend its last chunk),
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
