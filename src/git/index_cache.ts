/**
 * The reused temporary index: the temporary index of a run's snapshot, kept
 * in the exprag directory as `.git-index-<id>.tmp.cache` (one per real
 * index; safe to delete) with a record `.git-index-<id>.tmp.cache-record`,
 * and used as the seed of the next snapshot instead of a copy of the real
 * index. Its entries of untracked files carry the stat data git wrote for
 * them, so `update-index` re-hashes only the files that changed since (an
 * unchanged untracked file is not read again at every run start).
 *
 * It is used only while it is exactly what a copy of the real index would
 * have become: the real index must be the very file it was made from (same
 * size, inode, modification time and checksum; any write of the index by
 * git, e.g. a commit, `git add`, or a `git status` that refreshes it, makes
 * a new file), and the record lists the paths the snapshot changed in it,
 * so that the next snapshot brings every one of them back in line with the
 * worktree (tracked ones updated, untracked ones removed unless still
 * untracked). The index is kept by renaming the snapshot's temporary index
 * (written by git, never by us); the record names its size, checksum and
 * a digest of all its bytes, checked on the bytes read for the next
 * snapshot, so a record and an index of two different runs (starting at
 * once) are never used together, and a damaged index never is (git does
 * not verify an index's checksum when it reads one).
 * Anything unexpected (another format, a truncated file, an index without
 * a checksum, no permission) means no cache: the snapshot starts from a
 * copy of the real index as before.
 *
 * @module
 */

import { join } from "../path.ts";
import { granted } from "../permissions.ts";
import { digest } from "./digest.ts";

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

/** What a file's `lstat` showed when its content was handed to git. */
export interface FileStat {
  /** Size in bytes. */
  size: number;
  /** Modification time, ms. */
  mtimeMs: number;
  /** Status change time, ms (Deno gives whole seconds). */
  ctimeMs: number;
  /** Inode. */
  ino: number;
  /** Device. */
  dev: number;
  /** Mode bits. */
  mode: number;
}

/** A path a snapshot changed in its temporary index. */
export interface TouchedPath {
  /** Relative to the top level, as bytes. */
  path: Uint8Array;
  /**
   * `untracked`: not in the real index (added as untracked, or deleted or
   * renamed there); `tracked`: in the real index, updated from the
   * worktree; `removed`: removed (a deleted tracked file).
   */
  kind: "untracked" | "tracked" | "removed";
  /** The file as it was then; null when not known (then never trusted). */
  stat: FileStat | null;
}

/** The paths a snapshot changed in its temporary index. */
export interface Touched {
  /** The paths. */
  paths: TouchedPath[];
  /**
   * The earliest "now" of that snapshot before it read any file's stat
   * (wall clock, and the file system's time as a new file shows it), ms: a
   * file changed less than 2 s before it is never trusted unchanged.
   */
  statTimeMs: number;
}

/**
 * Whether a file is unchanged since a snapshot handed it to git: the same
 * size, times, inode, device and mode, and its last change at least 2 s
 * before that snapshot read it (so that any later write shows in the times,
 * even on a file system that keeps whole seconds).
 *
 * @param then The recorded stat.
 * @param now The stat now.
 * @param statTimeMs The snapshot's {@linkcode Touched.statTimeMs}.
 * @returns Whether git's entry from then still holds.
 */
export function unchangedSince(
  then: FileStat,
  now: FileStat,
  statTimeMs: number,
): boolean {
  return then.size === now.size && then.mtimeMs === now.mtimeMs &&
    then.ctimeMs === now.ctimeMs && then.ino === now.ino &&
    then.dev === now.dev && then.mode === now.mode &&
    Math.max(then.mtimeMs, then.ctimeMs) < statTimeMs - STABLE_MS;
}

/** How long before a snapshot read a file's stat its last change must be, to trust it later. */
const STABLE_MS = 2000;

/**
 * The {@linkcode FileStat} of an `lstat` result; null when a field is missing.
 *
 * @param info What `Deno.lstatSync` returned.
 * @returns The stat, or null.
 */
export function fileStat(info: Deno.FileInfo): FileStat | null {
  if (info.mtime === null || info.ctime === null || info.ino === null) {
    return null;
  }
  return {
    size: info.size,
    mtimeMs: info.mtime.getTime(),
    ctimeMs: info.ctime.getTime(),
    ino: info.ino,
    dev: info.dev,
    mode: info.mode ?? 0,
  };
}

const MAGIC = "exprag index cache 5\n";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The paths of a snapshot whose entries a later one may trust by their
 * stat data: those recorded with a stat.
 *
 * @param paths The touched paths.
 * @returns Their paths, in order.
 */
export function statPaths(paths: TouchedPath[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const t of paths) if (t.stat !== null) out.push(t.path);
  return out;
}

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

/** The record of a kept index. */
function recordPath(cache: string): string {
  return `${cache}-record`;
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

const KINDS = ["untracked", "tracked", "removed"] as const;
/** Bytes of an encoded entry before its path: kind, stat flag, 6 numbers, path length. */
const ENTRY_HEAD = 2 + 6 * 8 + 4;

/** The record's binary part: one entry per touched path. */
function encodeTouched(paths: TouchedPath[]): Uint8Array {
  let n = 0;
  for (const t of paths) n += ENTRY_HEAD + t.path.length;
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  let at = 0;
  for (const t of paths) {
    v.setUint8(at, KINDS.indexOf(t.kind));
    v.setUint8(at + 1, t.stat === null ? 0 : 1);
    const s = t.stat;
    if (s !== null) {
      v.setFloat64(at + 2, s.size);
      v.setFloat64(at + 10, s.mtimeMs);
      v.setFloat64(at + 18, s.ctimeMs);
      v.setFloat64(at + 26, s.ino);
      v.setFloat64(at + 34, s.dev);
      v.setFloat64(at + 42, s.mode);
    }
    v.setUint32(at + 50, t.path.length);
    out.set(t.path, at + ENTRY_HEAD);
    at += ENTRY_HEAD + t.path.length;
  }
  return out;
}

function decodeTouched(bytes: Uint8Array): TouchedPath[] | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TouchedPath[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + ENTRY_HEAD > bytes.length) return null;
    const kind = KINDS[v.getUint8(at)];
    const len = v.getUint32(at + 50);
    const end = at + ENTRY_HEAD + len;
    if (kind === undefined || len === 0 || end > bytes.length) return null;
    const stat = v.getUint8(at + 1) === 0 ? null : {
      size: v.getFloat64(at + 2),
      mtimeMs: v.getFloat64(at + 10),
      ctimeMs: v.getFloat64(at + 18),
      ino: v.getFloat64(at + 26),
      dev: v.getFloat64(at + 34),
      mode: v.getFloat64(at + 42),
    };
    out.push({ kind, stat, path: bytes.slice(at + ENTRY_HEAD, end) });
    at = end;
  }
  return out;
}

interface Header {
  indexPath: string;
  context: string;
  attributes: string;
  real: IndexIdentity | "absent";
  size: number;
  checksum: string;
  digest: string;
  mtimeMs: number;
  statTimeMs: number;
}

/** What identifies an index file's bytes. */
interface IndexBytes {
  size: number;
  checksum: string;
  digest: string;
}

/** The size, trailing checksum and digest of an index's bytes; null without a checksum. */
function indexBytes(bytes: Uint8Array, hashBytes: number): IndexBytes | null {
  if (bytes.length < 12 + hashBytes) return null;
  const tail = bytes.subarray(bytes.length - hashBytes);
  if (tail.every((b) => b === 0)) return null; // index.skipHash: no checksum
  return { size: bytes.length, checksum: hex(tail), digest: digest(bytes) };
}

/**
 * Seeds a snapshot's temporary index from the kept one, when its record is
 * valid for the real index as it is now: reads the kept index, checks its
 * size, checksum and digest against the record, writes those bytes as the
 * temporary index, and gives it the modification time git left on the kept
 * one.
 *
 * @param cache The kept index ({@linkcode cachePath}).
 * @param o The real index's path and identity now, the hashing context
 *   now (`hash_context.ts`: a kept index is used only under the
 *   configuration it was made under), the object id size, and the
 *   temporary index to create.
 * @returns What the kept index changed, the attributes fingerprint of its
 *   stat-recorded paths ({@linkcode statPaths}), and the file system's time when
 *   the copy was written (its modification time before it is set), or null
 *   (no valid cache; then the temporary index may hold anything and is to
 *   be written again).
 */
export function seedFromCache(
  cache: string,
  o: {
    indexPath: string;
    context: string;
    real: IndexIdentity | "absent";
    hashBytes: number;
    tmpIndex: string;
  },
): { touched: Touched; attributes: string; fsNowMs: number } | null {
  const record = recordPath(cache);
  if (
    !granted({ name: "read", path: record }) ||
    !granted({ name: "read", path: cache })
  ) return null;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(record);
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
    h.context !== o.context ||
    typeof h.mtimeMs !== "number" || typeof h.statTimeMs !== "number" ||
    typeof h.size !== "number" || typeof h.checksum !== "string" ||
    typeof h.digest !== "string" || typeof h.attributes !== "string"
  ) return null;
  if (!validIdentity(h.real) || !sameIdentity(h.real, o.real)) return null;
  const paths = decodeTouched(bytes.subarray(nl + 1));
  if (paths === null) return null;
  let kept: Uint8Array;
  try {
    kept = Deno.readFileSync(cache); // one read: the bytes checked are the bytes used
  } catch {
    return null;
  }
  const got = indexBytes(kept, o.hashBytes);
  if (
    got === null || got.size !== h.size || got.checksum !== h.checksum ||
    got.digest !== h.digest
  ) {
    return null; // another run's index, or a damaged one
  }
  let fsNow: number;
  try {
    Deno.writeFileSync(o.tmpIndex, kept);
    fsNow = Deno.statSync(o.tmpIndex).mtime?.getTime() ?? 0;
    const at = new Date(h.mtimeMs);
    Deno.utimeSync(o.tmpIndex, at, at);
  } catch {
    return null;
  }
  return {
    touched: { paths, statTimeMs: h.statTimeMs },
    attributes: h.attributes,
    fsNowMs: fsNow,
  };
}

function validIdentity(r: unknown): r is IndexIdentity | "absent" {
  if (r === "absent") return true;
  const i = r as IndexIdentity;
  return r !== null && typeof r === "object" &&
    typeof i.size === "number" && typeof i.ino === "number" &&
    typeof i.mtimeMs === "number" && typeof i.checksum === "string";
}

/**
 * Keeps a snapshot's temporary index (renamed, as git left it) and writes
 * its record (under a temporary name, then renamed). Silently does nothing
 * when it cannot (permissions, an index without a checksum, a full disk):
 * the next snapshot then starts from a copy of the real index.
 *
 * @param cache The kept index ({@linkcode cachePath}).
 * @param o The temporary index (moved away on success), the real index's
 *   path and identity when the snapshot was seeded, the configuration's
 *   fingerprint, the attributes fingerprint of the touched paths'
 *   {@linkcode statPaths},
 *   the object id size,
 *   the paths the snapshot changed, and a unique name part for the
 *   temporary file.
 * @returns Whether the cache was kept.
 */
export function keepIndexCache(
  cache: string,
  o: {
    tmpIndex: string;
    indexPath: string;
    context: string;
    attributes: string;
    real: IndexIdentity | "absent";
    hashBytes: number;
    touched: Touched;
    tag: string;
  },
): boolean {
  const record = recordPath(cache);
  const tmp = `${record}.${o.tag}`;
  if (
    !granted({ name: "read", path: o.tmpIndex }) ||
    !granted({ name: "write", path: o.tmpIndex }) ||
    !granted({ name: "write", path: cache }) ||
    !granted({ name: "write", path: tmp }) ||
    !granted({ name: "write", path: record })
  ) return false;
  let index: IndexBytes | null;
  let mtimeMs: number | undefined;
  try {
    // this run's own temporary index: nothing else writes it
    index = indexBytes(Deno.readFileSync(o.tmpIndex), o.hashBytes);
    mtimeMs = Deno.statSync(o.tmpIndex).mtime?.getTime();
  } catch {
    return false;
  }
  if (index === null || mtimeMs === undefined) return false;
  try {
    const entries = encodeTouched(o.touched.paths);
    const header: Header = {
      indexPath: o.indexPath,
      context: o.context,
      attributes: o.attributes,
      real: o.real,
      size: index.size,
      checksum: index.checksum,
      digest: index.digest,
      mtimeMs,
      statTimeMs: o.touched.statTimeMs,
    };
    const head = encoder.encode(MAGIC + JSON.stringify(header) + "\n");
    const out = new Uint8Array(head.length + entries.length);
    out.set(head, 0);
    out.set(entries, head.length);
    Deno.writeFileSync(tmp, out);
    Deno.renameSync(o.tmpIndex, cache);
    Deno.renameSync(tmp, record);
    return true;
  } catch {
    try {
      Deno.removeSync(tmp);
    } catch { /* not there */ }
    return false;
  }
}
