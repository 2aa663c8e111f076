/**
 * The reused temporary index: the temporary index of a run's snapshot, kept
 * in the exprag directory as `.git-index-<id>.tmp.cache` (one per real
 * index; safe to delete) and used as the seed of the next snapshot instead of a copy of the
 * real index. Its entries of untracked files carry the stat data git wrote
 * for them, so `update-index` re-hashes only the files that changed since
 * (an unchanged untracked file is not read again at every run start).
 *
 * It is used only while it is exactly what a copy of the real index would
 * have become: the real index must be the very file it was made from (same
 * size, inode, modification time and checksum; any write of the index by
 * git, e.g. a commit or `git add`, makes a new file), and the paths the
 * snapshot changed in it are recorded so that the next snapshot brings
 * every one of them back in line with the worktree (tracked ones updated,
 * untracked ones removed unless still untracked). One file holds the record
 * and the index, written under a temporary name and renamed: concurrent
 * starts each read a whole one. Anything unexpected (another format, a
 * truncated file, no read permission) means no cache: the snapshot starts
 * from a copy of the real index as before.
 *
 * @module
 */

import { join } from "node:path";
import { granted } from "../permissions.ts";

/** What makes the real index the same file: its identity and checksum. */
export interface IndexIdentity {
  /** Size in bytes. */
  size: number;
  /** Inode (0 where unknown). */
  ino: number;
  /** Modification time, ms. */
  mtimeMs: number;
  /** The trailing checksum, hex (all zeros with `index.skipHash`). */
  checksum: string;
}

/** The paths a snapshot changed in its temporary index, relative to the top level. */
export interface Touched {
  /** Tracked paths (in the real index): updated from the worktree. */
  tracked: Uint8Array[];
  /** Untracked paths: added (not in the real index). */
  untracked: Uint8Array[];
}

/** A valid cache: the seed index and what it changed. */
export interface IndexCache {
  /** The temporary index bytes. */
  index: Uint8Array;
  /** Its modification time as git left it, ms (git's racy-entry check uses it). */
  mtimeMs: number;
  /** The paths it changed. */
  touched: Touched;
}

const MAGIC = "exprag index cache 1\n";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A short stable id of a real index path (FNV-1a, 2 × 32 bits). */
function idOf(indexPath: string): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < indexPath.length; i++) {
    const c = indexPath.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 + 2) >>> 0;
  }
  return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
}

/**
 * The cache file of a real index in an exprag directory.
 *
 * @param dir The exprag directory (absolute).
 * @param indexPath The real index (absolute).
 * @returns The cache file's path.
 */
export function cachePath(dir: string, indexPath: string): string {
  return join(dir, `.git-index-${idOf(indexPath)}.tmp.cache`);
}

function hex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** The real index as read once: its bytes and identity. */
export interface RealIndex {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Its identity then. */
  identity: IndexIdentity;
  /** Its access time, to carry over to the copy. */
  atime: Date | null;
}

/**
 * Reads the real index through one descriptor (git replaces an index by
 * renaming a new file over it, never writes one in place): its bytes, and
 * the identity of exactly those bytes.
 *
 * @param indexPath The real index (read permission already checked).
 * @param hashBytes 20 (SHA-1) or 32 (SHA-256).
 * @returns The index, `"absent"` when there is none yet.
 * @throws {Error} When it cannot be read.
 */
export function readRealIndex(
  indexPath: string,
  hashBytes: number,
): RealIndex | "absent" {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(indexPath, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "absent";
    throw e;
  }
  try {
    const st = f.statSync();
    const bytes = new Uint8Array(st.size);
    let got = 0;
    while (got < bytes.length) {
      const n = f.readSync(bytes.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    const all = got === bytes.length ? bytes : bytes.subarray(0, got);
    return {
      bytes: all,
      identity: {
        size: all.length,
        ino: st.ino ?? 0,
        mtimeMs: st.mtime?.getTime() ?? 0,
        checksum: hex(all.subarray(Math.max(0, all.length - hashBytes))),
      },
      atime: st.atime,
    };
  } finally {
    f.close();
  }
}

function sameIdentity(
  a: IndexIdentity | "absent",
  b: IndexIdentity | "absent",
): boolean {
  if (a === "absent" || b === "absent") return a === b;
  return a.size === b.size && a.ino === b.ino && a.mtimeMs === b.mtimeMs &&
    a.mtimeMs !== 0 && a.checksum === b.checksum;
}

/** NUL-terminated paths, as one byte string. */
function joinPaths(paths: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of paths) n += p.length + 1;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of paths) {
    out.set(p, at);
    at += p.length + 1; // the NUL is already 0
  }
  return out;
}

function splitPaths(bytes: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0, start);
    if (end <= start) return null; // an empty path, or no final NUL
    out.push(bytes.slice(start, end));
    start = end + 1;
  }
  return out;
}

interface Header {
  indexPath: string;
  real: IndexIdentity | "absent";
  mtimeMs: number;
  tracked: number;
  untracked: number;
  index: number;
}

/**
 * Reads the cache of a real index, if it is valid for the real index as it
 * is now.
 *
 * @param file The cache file ({@linkcode cachePath}).
 * @param o The real index's path and identity now.
 * @returns The cache, or null (none, unreadable, stale or malformed).
 */
export function readIndexCache(
  file: string,
  o: { indexPath: string; real: IndexIdentity | "absent" },
): IndexCache | null {
  if (!granted({ name: "read", path: file })) return null;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(file);
  } catch {
    return null;
  }
  const nl = bytes.indexOf(10, MAGIC.length);
  if (nl < 0 || decoder.decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) {
    return null;
  }
  let h: Header;
  try {
    h = JSON.parse(decoder.decode(bytes.subarray(MAGIC.length, nl)));
  } catch {
    return null;
  }
  if (
    h === null || typeof h !== "object" || h.indexPath !== o.indexPath ||
    !Number.isSafeInteger(h.tracked) || !Number.isSafeInteger(h.untracked) ||
    !Number.isSafeInteger(h.index) || typeof h.mtimeMs !== "number" ||
    h.tracked < 0 || h.untracked < 0 || h.index <= 0
  ) return null;
  if (!validIdentity(h.real) || !sameIdentity(h.real, o.real)) return null;
  const a = nl + 1, b = a + h.tracked, c = b + h.untracked;
  if (c + h.index !== bytes.length) return null;
  const tracked = splitPaths(bytes.subarray(a, b));
  const untracked = splitPaths(bytes.subarray(b, c));
  const index = bytes.subarray(c);
  if (tracked === null || untracked === null) return null;
  if (decoder.decode(index.subarray(0, 4)) !== "DIRC") return null;
  return { index, mtimeMs: h.mtimeMs, touched: { tracked, untracked } };
}

function validIdentity(r: unknown): r is IndexIdentity | "absent" {
  if (r === "absent") return true;
  const i = r as IndexIdentity;
  return r !== null && typeof r === "object" &&
    typeof i.size === "number" && typeof i.ino === "number" &&
    typeof i.mtimeMs === "number" && typeof i.checksum === "string";
}

/**
 * Keeps a snapshot's temporary index as the cache of its real index
 * (written under a temporary name, then renamed over the previous one).
 * Silently does nothing when it cannot (permissions, a full disk): the
 * next snapshot then starts from a copy of the real index.
 *
 * @param file The cache file ({@linkcode cachePath}).
 * @param o The temporary index, the real index's path and identity when
 *   the snapshot was seeded, the paths the snapshot changed, and a unique
 *   name part for the temporary file.
 * @returns Whether the cache was written.
 */
export function writeIndexCache(
  file: string,
  o: {
    tmpIndex: string;
    indexPath: string;
    real: IndexIdentity | "absent";
    touched: Touched;
    tag: string;
  },
): boolean {
  const tmp = `${file}.${o.tag}`;
  if (
    !granted({ name: "read", path: o.tmpIndex }) ||
    !granted({ name: "write", path: tmp }) ||
    !granted({ name: "write", path: file })
  ) return false;
  try {
    const index = Deno.readFileSync(o.tmpIndex);
    const mtime = Deno.statSync(o.tmpIndex).mtime;
    if (mtime === null) return false;
    const tracked = joinPaths(o.touched.tracked);
    const untracked = joinPaths(o.touched.untracked);
    const header: Header = {
      indexPath: o.indexPath,
      real: o.real,
      mtimeMs: mtime.getTime(),
      tracked: tracked.length,
      untracked: untracked.length,
      index: index.length,
    };
    const head = encoder.encode(MAGIC + JSON.stringify(header) + "\n");
    const out = new Uint8Array(
      head.length + tracked.length + untracked.length + index.length,
    );
    out.set(head, 0);
    out.set(tracked, head.length);
    out.set(untracked, head.length + tracked.length);
    out.set(index, head.length + tracked.length + untracked.length);
    Deno.writeFileSync(tmp, out);
    Deno.renameSync(tmp, file);
    return true;
  } catch {
    try {
      Deno.removeSync(tmp);
    } catch { /* not there */ }
    return false;
  }
}

/**
 * Writes a cache's index as a snapshot's temporary index, with the
 * modification time git left on it.
 *
 * @param cache The valid cache.
 * @param tmpIndex The temporary index to create.
 * @returns Whether it was written.
 */
export function seedFromCache(cache: IndexCache, tmpIndex: string): boolean {
  try {
    Deno.writeFileSync(tmpIndex, cache.index);
    const at = new Date(cache.mtimeMs);
    Deno.utimeSync(tmpIndex, at, at);
    return true;
  } catch {
    return false;
  }
}
