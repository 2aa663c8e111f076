/**
 * A pure reader of the flags of a git index file (versions 2 to 4): the
 * entries marked skip-worktree or assume-unchanged, whose worktree edits
 * `git status` does not report. No git needed (tested on the bytes of real
 * index files).
 *
 * @module
 */

/** An index entry whose worktree edits git status hides. */
export interface FlaggedEntry {
  /** The path (relative to the top level), as bytes. */
  path: Uint8Array;
  /** The file mode recorded in the index (e.g. `0o100644`). */
  mode: number;
  /** The recorded blob (hex). */
  oid: string;
  /** Marked skip-worktree (`git update-index --skip-worktree`, sparse checkout). */
  skipWorktree: boolean;
  /** Marked assume-unchanged (`git update-index --assume-unchanged`). */
  assumeUnchanged: boolean;
}

const CE_VALID = 0x8000;
const CE_EXTENDED = 0x4000;
const CE_SKIP_WORKTREE = 0x4000;
const NAME_MASK = 0x0fff;
const STAT_BYTES = 40;
const DIR_MODE = 0o040000;

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The entries of an index file marked skip-worktree or assume-unchanged
 * (sparse-index directory entries left out: they have no worktree file).
 *
 * @param bytes The index file.
 * @param hashBytes 20 (SHA-1) or 32 (SHA-256).
 * @returns The flagged entries, or null when the file cannot be read here
 *   (unknown version, a split index, or malformed): ask git instead.
 */
export function flaggedEntries(
  bytes: Uint8Array,
  hashBytes: number,
): FlaggedEntry[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    bytes.length < 12 || String.fromCharCode(...bytes.subarray(0, 4)) !== "DIRC"
  ) {
    return null;
  }
  const version = view.getUint32(4);
  if (version < 2 || version > 4) return null;
  const count = view.getUint32(8);
  const out: FlaggedEntry[] = [];
  let pos = 12;
  let previous: Uint8Array = new Uint8Array();
  for (let i = 0; i < count; i++) {
    const start = pos;
    if (pos + STAT_BYTES + hashBytes + 2 > bytes.length) return null;
    const mode = view.getUint32(pos + 24);
    const oid = bytes.subarray(pos + STAT_BYTES, pos + STAT_BYTES + hashBytes);
    pos += STAT_BYTES + hashBytes;
    const flags = view.getUint16(pos);
    pos += 2;
    let extended = 0;
    if (flags & CE_EXTENDED) {
      if (version < 3) return null;
      extended = view.getUint16(pos);
      pos += 2;
    }
    const skipWorktree = (extended & CE_SKIP_WORKTREE) !== 0;
    const assumeUnchanged = (flags & CE_VALID) !== 0;
    const wanted = (skipWorktree || assumeUnchanged) &&
      (mode & 0o170000) !== DIR_MODE;
    let path: Uint8Array | null = null;
    if (version === 4) {
      let c = bytes[pos++];
      let strip = c & 127;
      while (c & 128) {
        c = bytes[pos++];
        strip = ((strip + 1) << 7) + (c & 127);
      }
      const end = bytes.indexOf(0, pos);
      if (end < 0 || strip > previous.length) return null;
      path = new Uint8Array(previous.length - strip + end - pos);
      path.set(previous.subarray(0, previous.length - strip));
      path.set(bytes.subarray(pos, end), previous.length - strip);
      previous = path;
      pos = end + 1;
    } else {
      // the path is read only for a flagged entry (most are not)
      const len = flags & NAME_MASK;
      const end = len < NAME_MASK ? pos + len : bytes.indexOf(0, pos);
      if (end < 0 || end > bytes.length) return null;
      if (wanted) path = bytes.slice(pos, end);
      pos = start + ((end - start + 8) & ~7);
    }
    if (wanted) {
      out.push({
        path: path!,
        mode,
        oid: hex(oid),
        skipWorktree,
        assumeUnchanged,
      });
    }
  }
  // Extensions: a split index keeps entries in a shared file we do not read.
  while (pos + 8 <= bytes.length - hashBytes) {
    const sig = String.fromCharCode(...bytes.subarray(pos, pos + 4));
    if (sig === "link") return null;
    pos += 8 + view.getUint32(pos + 4);
  }
  return out;
}
