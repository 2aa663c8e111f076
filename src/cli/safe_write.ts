/**
 * Writing a file the user named without ever writing through a symbolic
 * link, atomically: a cloned repository may hold `SKILL.md` (or one of its
 * parent directories) as a symlink to any file the user can write.
 *
 * Every component of the path below its root (the current directory, or
 * for a path outside it, the deepest directory it shares with the current
 * directory, which is a real directory since the current directory is) is
 * checked with `lstat`: a symlink makes the write refuse. Missing parent
 * directories are then created, the text goes to a new temporary file in
 * the target's directory (created with `createNew`, so never an existing
 * file or link) and is renamed over the target.
 *
 * Permissions: read on the first component below the root (for the
 * `lstat`s), write on the target's directory ({@linkcode writeNeeds}).
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve, sep } from "../path.ts";
import { NotFoundError, RefusedError } from "../errors.ts";
import { lstatOrNull } from "../lstat.ts";

/** Where a target path lies: its root and the components below it. */
export interface WriteTarget {
  /** The absolute target. */
  readonly abs: string;
  /** The root: the current directory, or the directory it shares with the target. */
  readonly root: string;
  /** The components of the target below the root, in order. */
  readonly parts: readonly string[];
}

/**
 * Splits a target path into its root and the components to check.
 *
 * @param path The path as given (relative to the current directory, or absolute).
 * @returns The target.
 */
export function writeTarget(path: string): WriteTarget {
  const abs = resolve(path);
  let root = Deno.cwd();
  while (true) {
    const rel = relative(root, abs);
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) {
      return { abs, root, parts: rel.split(sep) };
    }
    const up = dirname(root);
    if (up === root) return { abs, root, parts: [] };
    root = up;
  }
}

/** A path for a permission flag: relative when below the current directory. */
function flagPath(abs: string): string {
  const rel = relative(Deno.cwd(), abs);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}

/**
 * The permissions {@linkcode writeNoFollow} needs for a path: read on the
 * first component below the root (every `lstat`), write on the target's
 * directory (parents, the temporary file, the rename).
 *
 * @param path The target path as given.
 * @returns The read path and the write path, as flags name them.
 */
export function writeNeeds(path: string): { read: string; write: string } {
  const t = writeTarget(path);
  const first = t.parts.length > 1 ? join(t.root, t.parts[0]) : t.root;
  return { read: flagPath(first), write: flagPath(dirname(t.abs)) };
}

/**
 * Checks every component of the target below its root: none may be a
 * symbolic link, every parent must be a directory, the target a file.
 *
 * @param path The path as given (for messages).
 * @param t The target.
 * @returns Whether every parent directory exists.
 * @throws {RefusedError} On a symlink or a component of the wrong kind.
 */
function checkComponents(path: string, t: WriteTarget): boolean {
  let at = t.root;
  for (let i = 0; i < t.parts.length; i++) {
    at = join(at, t.parts[i]);
    const info = lstatOrNull(at);
    if (info === null) return i === t.parts.length - 1;
    const last = i === t.parts.length - 1;
    if (info.isSymlink) {
      throw new RefusedError(
        `refusing to write ${path}: ${
          flagPath(at)
        } is a symbolic link (exprag never writes through one); remove it or choose another path`,
        [at],
      );
    }
    if (!last && !info.isDirectory) {
      throw new RefusedError(
        `refusing to write ${path}: ${flagPath(at)} is not a directory`,
        [at],
      );
    }
    if (last && !info.isFile) {
      throw new RefusedError(
        `refusing to write ${path}: it exists and is not a regular file`,
        [at],
      );
    }
  }
  return true;
}

/**
 * The mode the written file gets: that of the file it replaces (a private
 * `0600` file stays private), or `undefined` for a new file.
 *
 * @param path The path as given (for messages).
 * @param abs The absolute target.
 * @returns The mode bits of the file replaced, if any.
 * @throws {RefusedError} When the file it would replace is read-only: the
 *   user protected it, so it is left alone.
 */
function replacedMode(path: string, abs: string): number | undefined {
  const info = lstatOrNull(abs);
  if (info === null || info.mode === null) return undefined;
  if ((info.mode & 0o222) === 0) {
    throw new RefusedError(
      `refusing to write ${path}: it exists and is read-only; make it writable (chmod u+w) or choose another path`,
      [abs],
    );
  }
  return info.mode & 0o777;
}

/**
 * Writes a file atomically without following any symbolic link below its
 * root, creating missing parent directories.
 *
 * @param path The target path (relative to the current directory, or absolute).
 * @param text The contents.
 * @throws {RefusedError} When a component is a symlink, or the file it
 *   would replace is read-only (nothing is written).
 */
export function writeNoFollow(path: string, text: string): void {
  const t = writeTarget(path);
  if (t.parts.length === 0) {
    throw new RefusedError(`refusing to write ${path}: not a file path`);
  }
  const dir = dirname(t.abs);
  if (!checkComponents(path, t)) {
    Deno.mkdirSync(dir, { recursive: true });
    checkComponents(path, t); // nothing became a link meanwhile
  }
  const old = replacedMode(path, t.abs);
  const replacing = old !== undefined;
  const mode = old ?? 0o644;
  const name = t.parts[t.parts.length - 1];
  const tmp = join(dir, `.${name}.${crypto.randomUUID()}.tmp`);
  const file = Deno.openSync(tmp, { write: true, createNew: true, mode });
  try {
    try {
      // the umask may have narrowed it: a replacement keeps the old mode
      if (replacing && Deno.build.os !== "windows") Deno.chmodSync(tmp, mode);
      const bytes = new TextEncoder().encode(text);
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    } finally {
      file.close();
    }
    Deno.renameSync(tmp, t.abs);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw e;
  }
}

/**
 * The permissions {@linkcode createNoFollow} needs for a path: read on the
 * first component below the root (every `lstat`; the file itself when it
 * lies in the current directory) and write on the file itself.
 *
 * @param path The target path as given.
 * @returns The read path and the write path, as flags name them.
 */
export function createNeeds(path: string): { read: string; write: string } {
  const t = writeTarget(path);
  const first = t.parts.length > 0 ? join(t.root, t.parts[0]) : t.root;
  return { read: flagPath(first), write: flagPath(t.abs) };
}

/**
 * Creates a new file for writing, never through a symbolic link and never
 * over an existing file: every component below the root is checked with
 * `lstat` and the file is opened with `createNew` (which also refuses a
 * dangling link). Its directory must exist.
 *
 * @param path The target path (relative to the current directory, or absolute).
 * @returns The open file, empty.
 * @throws {RefusedError} When the path exists, or a component is a symlink
 *   or not a directory.
 * @throws {NotFoundError} When its directory does not exist.
 */
export function createNoFollow(path: string): Deno.FsFile {
  const t = writeTarget(path);
  if (t.parts.length === 0) {
    throw new RefusedError(`refusing to write ${path}: not a file path`);
  }
  const exists = () =>
    new RefusedError(
      `refusing to write ${path}: it exists (exprag never overwrites a file); remove it or choose another path`,
      [t.abs],
    );
  if (!checkComponents(path, t)) {
    throw new NotFoundError(
      `cannot write ${path}: directory ${
        flagPath(dirname(t.abs))
      } does not exist`,
    );
  }
  if (lstatOrNull(t.abs) !== null) throw exists();
  try {
    return Deno.openSync(t.abs, { write: true, createNew: true, mode: 0o644 });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) throw exists();
    throw e;
  }
}
