/**
 * Paths the user gives relative to the repository's top level (`cat
 * PATH`, `diff --path PATH`), confined to the repository.
 *
 * @module
 */

import { posix } from "../path.ts";
import { UsageError } from "../errors.ts";

/**
 * Normalizes a user-given path relative to the top level, refusing what
 * could leave the repository or be read as an option.
 *
 * @param path The path as given.
 * @param what How the error names it, e.g. `cat: PATH`.
 * @returns The normalized path (no `./`, no trailing `/`).
 * @throws {UsageError} For an empty or absolute path, a `..` escape, a
 *   leading `-`.
 */
export function confinedPath(path: string, what: string): string {
  const q = JSON.stringify(path);
  if (path === "" || path.includes("\0")) {
    throw new UsageError(`${what} must be a path in the repository`);
  }
  if (path.startsWith("-")) {
    throw new UsageError(`${what} ${q} starts with -; write ./${path}`);
  }
  if (posix.isAbsolute(path) || /^[A-Za-z]:[\\/]/.test(path)) {
    throw new UsageError(
      `${what} ${q} is absolute; give it relative to the repository's top level`,
    );
  }
  const n = posix.normalize(path).replace(/\/+$/, "");
  if (n === "" || n === "." || n === ".." || n.startsWith("../")) {
    throw new UsageError(`${what} ${q} leaves the repository`);
  }
  return n;
}
